// Run by bench/lighthouse.sh from its Lighthouse folder (so that the imports resolve there):
//   node run.mjs BASE_URL "name=value; name=value" PRESET PATH...
// The session's cookies go into the browser's cookie jar before Lighthouse runs (with storage
// reset off): a Cookie header from --extra-headers reaches the page itself but not every request
// the page makes (its fetch() to /graphql/ went without it, and the page was sent to log in).
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import puppeteer from "puppeteer-core";

const [base, cookieHeader, preset, ...paths] = process.argv.slice(2);
const categories = ["performance", "accessibility", "best-practices", "seo"];

const chrome = await chromeLauncher.launch({ chromeFlags: ["--headless", "--no-sandbox"] });
let failed = false;
try {
  const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
  const page = await browser.newPage();
  await page.setCookie(
    ...cookieHeader.split(/;\s*/).map((pair) => {
      const [name, ...value] = pair.split("=");
      return { name, value: value.join("="), url: base };
    }),
  );
  await page.close();
  console.log(`${"page".padEnd(40)} ${categories.map((c) => c.padStart(14)).join(" ")}  (${preset})`);
  for (const path of paths) {
    // Lighthouse sometimes records no trace of a load (NO_NAVSTART, every score 0): such a run
    // measured nothing, so the page is loaded again, up to twice.
    let lhr;
    for (let attempt = 1; attempt <= 3; attempt++) {
      ({ lhr } = await lighthouse(
        base + path,
        { port: chrome.port, output: "json", logLevel: "error", onlyCategories: categories, disableStorageReset: true },
        preset === "desktop" ? desktopConfig : undefined,
      ));
      if (!lhr.runtimeError) break;
      console.log(`    attempt ${attempt}: ${lhr.runtimeError.code}${attempt < 3 ? ", loading again" : ""}`);
    }
    if (lhr.finalDisplayedUrl.includes("/accounts/login/")) {
      console.error(`not logged in: ${path} ended on ${lhr.finalDisplayedUrl}`);
      failed = true;
      continue;
    }
    if (lhr.runtimeError) {
      console.log(`    runtime error: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      failed = true;
    }
    if (process.env.LIGHTHOUSE_DUMP) (await import("node:fs")).writeFileSync(`${process.env.LIGHTHOUSE_DUMP}/${paths.indexOf(path)}.json`, JSON.stringify(lhr));
    const scores = categories.map((c) => String(Math.round(lhr.categories[c].score * 100)).padStart(14));
    console.log(`${path.padEnd(40)} ${scores.join(" ")}`);
    for (const c of categories) {
      const low = lhr.categories[c].auditRefs
        .map((ref) => lhr.audits[ref.id])
        .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual");
      if (low.length && lhr.categories[c].score < 1) console.log(`    ${c}: ${low.map((a) => a.id).join(", ")}`);
    }
  }
  await browser.disconnect();
} finally {
  await chrome.kill();
}
process.exit(failed ? 1 : 0);

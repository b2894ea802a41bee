from django.core.management.base import BaseCommand

from mailing.identities.dkim import dns_record
from mailing.identities.services import dkim_key_create


class Command(BaseCommand):
    help = (
        "Make a 2048-bit DKIM key for a domain, store it (the private key in the database), and print the DNS "
        "TXT record to publish. Mail whose From address is at the domain is signed with its newest key."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain", help="The From domain to sign for, e.g. shop.example.")
        parser.add_argument("--selector", default="mail", help="The DKIM selector (s=); default: mail.")

    def handle(self, *args, domain: str, selector: str, **options):
        key = dkim_key_create(domain=domain, selector=selector)
        self.stderr.write(f"Stored DKIM key {key.selector} for {key.domain}. Publish this TXT record:")
        self.stdout.write(dns_record(key))

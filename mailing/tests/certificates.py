"""Certificates made by the tests: a private CA with a server certificate it signed, a client
certificate, and a self-signed server certificate; all for 127.0.0.1 and localhost."""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(directory: Path, stem: str, certificate: x509.Certificate, key) -> Pair:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Pair(cert_path, key_path)


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


LOOPBACK = ("localhost", "127.0.0.1")


def _leaf(builder: x509.CertificateBuilder, usage, hosts: tuple[str, ...]) -> x509.CertificateBuilder:
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if hosts:
        names = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder


@dataclass(frozen=True)
class Authority:
    """A private CA: `cert` is what EMAIL_SSL_CAFILE names; it signs servers and clients."""

    directory: Path
    cert: Path
    _certificate: x509.Certificate
    _key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, directory: Path, name: str = "Test CA") -> "Authority":
        key = ec.generate_private_key(ec.SECP256R1())
        builder = _builder(_name(name), _name(name), key.public_key())
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        certificate = builder.sign(key, hashes.SHA256())
        pair = _write(directory, "ca", certificate, key)
        return cls(directory, pair.cert, certificate, key)

    def _issue(self, stem: str, common_name: str, usage, hosts: tuple[str, ...]) -> Pair:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = _leaf(_builder(_name(common_name), self._certificate.subject, key.public_key()), usage, hosts)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
        )
        return _write(self.directory, stem, builder.sign(self._key, hashes.SHA256()), key)

    def server(self, stem: str = "server", hosts: tuple[str, ...] = LOOPBACK) -> Pair:
        """A server certificate for `hosts` (127.0.0.1 and localhost unless told)."""
        return self._issue(stem, hosts[0], ExtendedKeyUsageOID.SERVER_AUTH, hosts)

    def client(self, stem: str = "client") -> Pair:
        return self._issue(stem, "mailing client", ExtendedKeyUsageOID.CLIENT_AUTH, ())


def self_signed(directory: Path, stem: str = "self-signed") -> Pair:
    """A server certificate for 127.0.0.1 and localhost that nobody vouches for."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder(_name("localhost"), _name("localhost"), key.public_key())
    builder = _leaf(builder, ExtendedKeyUsageOID.SERVER_AUTH, LOOPBACK)
    return _write(directory, stem, builder.sign(key, hashes.SHA256()), key)

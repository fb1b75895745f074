"""A loopback TLS terminator for tests: https://127.0.0.1:<port> -> http://<upstream>, with a throwaway CA.

``make_ca(directory, name)`` writes a self-signed CA and a server certificate for 127.0.0.1 signed by it
(``<name>-ca.pem``, ``<name>-server.pem``, ``<name>-server.key``). ``TlsProxy(upstream, cert, key)`` accepts TLS
connections and copies bytes both ways to the plain-HTTP upstream (one thread per direction), so the client
sees the upstream service behind a certificate of the test's own CA.
"""

import datetime
import ipaddress
import pathlib
import socket
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(directory, name):
    """Write ``<name>-ca.pem`` and a 127.0.0.1 server cert/key signed by it; return their paths."""
    directory = pathlib.Path(directory)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name('%s test CA' % name)).issuer_name(_name('%s test CA' % name))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(_name('127.0.0.1')).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                             critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = dict(ca=directory / ('%s-ca.pem' % name), cert=directory / ('%s-server.pem' % name),
                 key=directory / ('%s-server.key' % name))
    paths['ca'].write_bytes(_pem(ca))
    paths['cert'].write_bytes(_pem(server) + _pem(ca))
    paths['key'].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    paths['key'].chmod(0o600)
    return {k: str(v) for k, v in paths.items()}


class TlsProxy(object):
    """TLS on 127.0.0.1:<port> in front of ``upstream`` ((host, port), plain HTTP). Use as a context manager."""

    def __init__(self, upstream, cert, key):
        self.upstream = upstream
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.handshake_errors = []
        self._closed = threading.Event()

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._closed.set()
        self.listener.close()

    def _accept(self):
        while not self._closed.is_set():
            try:
                raw, dummy = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as exc:  # a client that does not trust our CA hangs up here
            self.handshake_errors.append(str(exc))
            raw.close()
            return
        upstream = socket.create_connection(self.upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

"""The engine service signs its callbacks to the web backend: HMAC-SHA256 of the raw body, shared secret."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Engine-Signature"
DEVELOPMENT_SECRET = "dev-only-not-secret"  # refused outside development (DJANGO_DEBUG=0)


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>`` of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """True when ``signature`` is the signature of ``body`` under ``secret`` (constant-time comparison)."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(body, secret), signature.strip())

"""Security configurations for the tests: an administrator (from WEIR_ADMIN_PASSWORD), a viewer
with only `view`, and an operator with view + send_command. Their hashes are Argon2id (made with
the system's libsodium, as Weir makes them); config(legacy=True) gives the Python platform's
SHA-256 instead, which Weir accepts once, replaces by Argon2id at the first login and then asks
to change (password_change_required)."""
import ctypes
import ctypes.util
import functools
import hashlib

VIEWER_PASSWORD = "Glass-Lantern-12"
OPERATOR_PASSWORD = "Copper-Valve-34"


def sha256(pw):
    return hashlib.sha256(pw.encode()).hexdigest()


@functools.lru_cache(maxsize=None)
def argon2id(pw):
    """crypto_pwhash_str with the INTERACTIVE limits, as src/security/password.cpp hashes."""
    sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    assert sodium.sodium_init() >= 0
    out = ctypes.create_string_buffer(128)
    data = pw.encode()
    sodium.crypto_pwhash_str_alg.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                             ctypes.c_ulonglong, ctypes.c_size_t, ctypes.c_int]
    rc = sodium.crypto_pwhash_str_alg(out, data, len(data), 2, 64 << 20, 2)  # ALG_ARGON2ID13 = 2
    assert rc == 0, "crypto_pwhash_str_alg failed"
    return out.value.decode()


def config(legacy=False):
    h = sha256 if legacy else argon2id
    return {
        "groups": [
            {"name": "viewers", "permissions": ["view"]},
            {"name": "operators", "permissions": ["view", "send_command"]},
        ],
        "users": [
            {"username": "viewer", "password_hash": h(VIEWER_PASSWORD), "groups": ["viewers"], "allowed_apps": ["scada"]},
            {"username": "operator", "password_hash": h(OPERATOR_PASSWORD), "groups": ["operators"],
             "allowed_apps": ["scada"]},
        ],
    }

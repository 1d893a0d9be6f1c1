"""Security configurations for the tests: an administrator (from WEIR_ADMIN_PASSWORD), a viewer
with only `view`, and an operator with view + send_command. Legacy SHA-256 hashes are accepted
once and replaced by Argon2id at the first login."""
import hashlib

VIEWER_PASSWORD = "Viewer-pass-12"
OPERATOR_PASSWORD = "Operator-pass-12"


def sha256(pw):
    return hashlib.sha256(pw.encode()).hexdigest()


def config():
    return {
        "groups": [
            {"name": "viewers", "permissions": ["view"]},
            {"name": "operators", "permissions": ["view", "send_command"]},
        ],
        "users": [
            {"username": "viewer", "password_hash": sha256(VIEWER_PASSWORD), "groups": ["viewers"], "allowed_apps": ["scada"]},
            {"username": "operator", "password_hash": sha256(OPERATOR_PASSWORD), "groups": ["operators"],
             "allowed_apps": ["scada"]},
        ],
    }

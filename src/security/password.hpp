#pragma once
// Password storage and rules. New hashes are Argon2id (libsodium, crypto_pwhash_str with the
// INTERACTIVE limits: ~64 MiB and a few tens of milliseconds per hash, so call these off the
// network thread). The Python platform's unsalted SHA-256 (64 hex digits) still verifies, and the
// caller is handed an Argon2id replacement to store at once.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace weir::security {

enum class HashKind {
  none,           // "": no password set, login disabled
  argon2id,       // "$argon2id$v=19$m=…"
  legacy_sha256,  // 64 hex digits: sha256(password), the Python platform's format
  unknown,
};
HashKind classify_hash(std::string_view stored);

// Minimum rules for a new password (docs/SECURITY.md):
// - at least min_length characters (bytes) and at most max_length;
// - characters from at least min_classes of: lower-case, upper-case, digits, others;
// - not containing the username (case-insensitive; usernames of 3+ characters) nor equal to it;
// - not one of a short list of notorious passwords.
struct PasswordPolicy {
  std::size_t min_length = 10;
  std::size_t max_length = 1024;
  int min_classes = 2;
};
// unprocessable("weak_password", "<why>", "password") when a rule is broken.
Status check_password_rules(std::string_view username, std::string_view password,
                            const PasswordPolicy& policy = {});

// Argon2id hash string ("$argon2id$…"). Fails only when the system is out of memory.
Result<std::string> hash_password(std::string_view password);

struct PasswordVerification {
  bool ok = false;
  // Set when ok and the stored hash should be replaced (legacy SHA-256, or Argon2id with
  // weaker parameters than today's): store this, then forget the password.
  std::optional<std::string> upgraded_hash;
};
// Constant-time for a given hash kind. An empty or unrecognised stored hash never verifies.
PasswordVerification verify_password(std::string_view password, std::string_view stored_hash);

// Spends about the time of one Argon2id verification; call it for unknown usernames so a login
// reply does not tell which usernames exist.
void spend_verification_time(std::string_view password);

// True for legacy hashes and for Argon2id hashes made with other parameters.
bool needs_rehash(std::string_view stored_hash);

// A random password that passes check_password_rules for any username of 3+ characters
// (letters of both cases and digits, no look-alikes such as 0/O, 1/l/I).
std::string generate_password(std::size_t length = 20);

// sha256(password) as 64 lower-case hex digits: the Python platform's stored form.
std::string legacy_sha256_hex(std::string_view password);

// Cryptographically random bytes (libsodium).
std::string random_bytes(std::size_t n);
std::string to_hex(std::string_view bytes);

}  // namespace weir::security

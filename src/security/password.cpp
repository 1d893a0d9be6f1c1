#include "security/password.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace weir::security {
namespace {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no usable random source: nothing here can be secure
}

constexpr std::size_t kLegacyHexLength = 64;

// libsodium declares its pointers non-null; an empty string_view may carry nullptr.
const char* bytes_of(std::string_view s) {
  return s.data() ? s.data() : "";
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

Error weak(std::string why) {
  return unprocessable("weak_password", std::move(why), "password");
}

// Lower-cased; a password equal to one of these is refused whatever its classes.
constexpr std::array<std::string_view, 14> kNotorious{
    "password123", "password1234", "passw0rd123", "administrator", "admin12345",
    "admin123456", "qwertyuiop1",  "qwerty12345", "changeme123",   "welcome123",
    "letmein123",  "1q2w3e4r5t",   "iloveyou123", "scada123456"};

// A fixed Argon2id hash to verify against when the user does not exist.
const std::string& dummy_hash() {
  static const std::string h = [] {
    auto r = hash_password("weir-dummy-password-for-timing");
    return r ? *r : std::string();
  }();
  return h;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

HashKind classify_hash(std::string_view stored) {
  if (stored.empty()) return HashKind::none;
  if (stored.starts_with(crypto_pwhash_argon2id_STRPREFIX) &&
      stored.size() < crypto_pwhash_STRBYTES)
    return HashKind::argon2id;
  if (stored.size() == kLegacyHexLength && is_hex(stored)) return HashKind::legacy_sha256;
  return HashKind::unknown;
}

Status check_password_rules(std::string_view username, std::string_view password,
                            const PasswordPolicy& policy) {
  if (password.size() < policy.min_length)
    return weak("password must have at least " + std::to_string(policy.min_length) + " characters");
  if (password.size() > policy.max_length)
    return weak("password must have at most " + std::to_string(policy.max_length) + " characters");
  bool lower_c = false, upper_c = false, digit_c = false, other_c = false;
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7f) return weak("password must not contain control characters");
    if (std::islower(c))
      lower_c = true;
    else if (std::isupper(c))
      upper_c = true;
    else if (std::isdigit(c))
      digit_c = true;
    else
      other_c = true;
  }
  int classes = int(lower_c) + int(upper_c) + int(digit_c) + int(other_c);
  if (classes < policy.min_classes)
    return weak("password must mix at least " + std::to_string(policy.min_classes) +
                " of: lower-case letters, upper-case letters, digits, other characters");
  auto lp = lower(password);
  auto lu = lower(username);
  if (!lu.empty() && (lp == lu || (lu.size() >= 3 && lp.find(lu) != std::string::npos)))
    return weak("password must not contain the username");
  if (std::find(kNotorious.begin(), kNotorious.end(), lp) != kNotorious.end())
    return weak("password is too common");
  return {};
}

Result<std::string> hash_password(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, bytes_of(password), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error::make(ErrorKind::internal, "hash_failed",
                       "password hashing failed (out of memory?)");
  return std::string(out);
}

bool needs_rehash(std::string_view stored_hash) {
  switch (classify_hash(stored_hash)) {
    case HashKind::legacy_sha256:
      return true;
    case HashKind::argon2id: {
      ensure_sodium();
      std::string s(stored_hash);
      return crypto_pwhash_str_needs_rehash(s.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                            crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
    }
    default:
      return false;
  }
}

std::string legacy_sha256_hex(std::string_view password) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes_of(password)), password.size(), digest);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

PasswordVerification verify_password(std::string_view password, std::string_view stored_hash) {
  ensure_sodium();
  PasswordVerification v;
  switch (classify_hash(stored_hash)) {
    case HashKind::argon2id: {
      std::string s(stored_hash);  // NUL-terminated, shorter than crypto_pwhash_STRBYTES
      v.ok = crypto_pwhash_str_verify(s.c_str(), bytes_of(password), password.size()) == 0;
      break;
    }
    case HashKind::legacy_sha256: {
      // As slow as an Argon2id check, so a legacy account is no cheaper to guess at (the
      // throttle counts attempts, this bounds their rate per worker).
      spend_verification_time(password);
      auto computed = legacy_sha256_hex(password);
      auto stored = lower(stored_hash);
      v.ok = CRYPTO_memcmp(computed.data(), stored.data(), kLegacyHexLength) == 0;
      break;
    }
    case HashKind::none:
    case HashKind::unknown:
      spend_verification_time(password);
      return v;
  }
  if (v.ok && needs_rehash(stored_hash)) {
    auto h = hash_password(password);
    if (h) v.upgraded_hash = std::move(*h);
  }
  return v;
}

void spend_verification_time(std::string_view password) {
  const auto& h = dummy_hash();
  if (h.empty()) return;
  [[maybe_unused]] int rc =
      crypto_pwhash_str_verify(h.c_str(), bytes_of(password), password.size());
}

std::string generate_password(std::size_t length) {
  // No look-alikes: 0 O o, 1 l I.
  static constexpr std::string_view lowers = "abcdefghijkmnpqrstuvwxyz";
  static constexpr std::string_view uppers = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr std::string_view digits = "23456789";
  static const std::string alphabet =
      std::string(lowers) + std::string(uppers) + std::string(digits);
  ensure_sodium();
  length = std::max<std::size_t>(length, 12);
  for (;;) {
    std::string out;
    out.reserve(length);
    for (std::size_t i = 0; i < length; ++i)
      out.push_back(alphabet[randombytes_uniform(static_cast<uint32_t>(alphabet.size()))]);
    auto has = [&](std::string_view set) { return out.find_first_of(set) != std::string::npos; };
    if (has(lowers) && has(uppers) && has(digits)) return out;
  }
}

}  // namespace weir::security

// Cryptography for proctor, all of it libsodium: event hashing (BLAKE2b-256), the per-session
// hash chain, Ed25519 signatures, authenticated encryption at rest, and random tokens.
// Every function is thread-safe; libsodium is initialised on first use.
#ifndef PROCTOR_COMMON_CRYPTO_H_
#define PROCTOR_COMMON_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/event.h"

namespace proctor {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

// The hash of one event: BLAKE2b-256 over a fixed, length-prefixed little-endian encoding of
// every field (see crypto.cc, EncodeForDigest), including prev_hash — so the hash of the last
// event commits to the whole session so far. Identical on every platform.
Hash32 EventDigest(const Event& event);

// An Ed25519 key pair. The secret key never leaves the process that made it.
class SigningKey {
 public:
  static SigningKey Generate();
  // From a 64-byte libsodium secret key (seed + public key). INVALID_ARGUMENT otherwise.
  static absl::StatusOr<SigningKey> FromBytes(const std::vector<uint8_t>& secret);
  ~SigningKey();
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const PublicKey& public_key() const { return public_key_; }
  Signature Sign(const uint8_t* message, size_t size) const;
  std::vector<uint8_t> SecretBytes() const;

 private:
  SigningKey() = default;
  std::array<uint8_t, 64> secret_{};
  PublicKey public_key_{};
};

// True when `signature` is `key`'s Ed25519 signature of the message.
bool VerifySignature(const PublicKey& key, const uint8_t* message, size_t size,
                     const Signature& signature);

// Authenticated encryption at rest (XChaCha20-Poly1305, libsodium's secretbox family with
// associated data). The associated data binds a ciphertext to its row (for instance
// "template:learner-7"), so a blob copied to another row does not decrypt.
class SealedBox {
 public:
  // Reads the 32-byte key file, or creates it (mode 0600) when it does not exist. The key file
  // lives outside the database: a copied database alone reveals nothing.
  static absl::StatusOr<SealedBox> OpenKeyFile(const std::string& path);
  static SealedBox FromKeyForTest(const std::array<uint8_t, 32>& key);
  ~SealedBox();
  SealedBox(SealedBox&& other) noexcept;
  SealedBox& operator=(SealedBox&& other) noexcept;
  SealedBox(const SealedBox&) = delete;
  SealedBox& operator=(const SealedBox&) = delete;

  // nonce (24 bytes) || ciphertext || tag (16 bytes).
  std::vector<uint8_t> Seal(const std::vector<uint8_t>& plaintext, std::string_view ad) const;
  // DATA_LOSS when the blob was altered, belongs to another row or another key.
  absl::StatusOr<std::vector<uint8_t>> Open(const std::vector<uint8_t>& sealed,
                                            std::string_view ad) const;
  // `bytes` (16-64) of keyed BLAKE2b over `message` with a subkey derived from this key for
  // `context` (exactly 8 characters, libsodium's KDF context): a value every server replica
  // (same key file) computes alike and nobody without the key can predict, such as a session's
  // liveness nonce. The storage key itself is never used for it.
  std::vector<uint8_t> KeyedTag(std::string_view context, std::string_view message,
                                size_t bytes) const;

 private:
  SealedBox() = default;
  std::array<uint8_t, 32> key_{};
};

// `bytes` random bytes as lowercase base32 (no padding): tokens and passes a person can type.
std::string RandomToken(size_t bytes);
// A uniformly random integer in [0, n), n >= 1 (unpredictable to clients: sampling decisions).
uint32_t RandomBelow(uint32_t n);
// SHA-256 of a secret as hex: what the server stores instead of a token or pass.
std::string SecretHash(std::string_view secret);
// Lowercase hex of bytes.
std::string ToHex(const uint8_t* data, size_t size);
// Unkeyed BLAKE2b of `size` bytes, `out_size` (16-64) bytes long.
std::vector<uint8_t> Blake2b(const uint8_t* data, size_t size, size_t out_size);

// SHA-256 of data fed in pieces (a backup file as it streams). Not thread-safe.
class Sha256Stream {
 public:
  Sha256Stream();
  void Update(const uint8_t* data, size_t size);
  // The digest of everything fed; call once.
  std::array<uint8_t, 32> Finish();

 private:
  std::vector<uint64_t> state_;  // libsodium's crypto_hash_sha256_state, 8-byte aligned
};

}  // namespace proctor

#endif  // PROCTOR_COMMON_CRYPTO_H_

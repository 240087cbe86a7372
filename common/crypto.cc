#include "common/crypto.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "common/platform.h"

namespace proctor {
namespace {

void EnsureSodium() {
  static const int init = sodium_init();
  if (init < 0) throw std::runtime_error("libsodium failed to initialise");
}

// Appends little-endian fixed-width integers and length-prefixed byte strings to a BLAKE2b state.
class DigestWriter {
 public:
  DigestWriter() { crypto_generichash_init(&state_, nullptr, 0, 32); }
  void U64(uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    crypto_generichash_update(&state_, b, 8);
  }
  void Bytes(const uint8_t* data, size_t size) {
    U64(size);
    if (size > 0) crypto_generichash_update(&state_, data, size);
  }
  void Text(std::string_view s) { Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  void F32(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    U64(bits);
  }
  Hash32 Finish() {
    Hash32 out;
    crypto_generichash_final(&state_, out.data(), out.size());
    return out;
  }

 private:
  crypto_generichash_state state_;
};

}  // namespace

Hash32 EventDigest(const Event& e) {
  EnsureSodium();
  DigestWriter w;
  w.Text("proctor.v1.event");
  w.Text(e.session_id);
  w.U64(e.seq);
  w.U64(static_cast<uint64_t>(e.kind));
  w.U64(static_cast<uint64_t>(e.phase));
  w.U64(static_cast<uint64_t>(e.at_ms));
  w.U64(static_cast<uint64_t>(e.duration_ms));
  w.U64(e.descriptor.size());
  for (float v : e.descriptor) w.F32(v);
  w.F32(e.client_distance);
  w.U64(static_cast<uint64_t>(static_cast<int64_t>(e.face_count)));
  w.Bytes(e.evidence_jpeg.data(), e.evidence_jpeg.size());
  w.Text(e.detail);
  w.Bytes(e.prev_hash.data(), e.prev_hash.size());
  return w.Finish();
}

SigningKey SigningKey::Generate() {
  EnsureSodium();
  SigningKey key;
  crypto_sign_keypair(key.public_key_.data(), key.secret_.data());
  return key;
}

absl::StatusOr<SigningKey> SigningKey::FromBytes(const std::vector<uint8_t>& secret) {
  EnsureSodium();
  if (secret.size() != crypto_sign_SECRETKEYBYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 secret key must be 64 bytes, got ", secret.size()));
  }
  SigningKey key;
  std::memcpy(key.secret_.data(), secret.data(), secret.size());
  crypto_sign_ed25519_sk_to_pk(key.public_key_.data(), key.secret_.data());
  return key;
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }
SigningKey::SigningKey(SigningKey&& other) noexcept
    : secret_(other.secret_), public_key_(other.public_key_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}
SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  secret_ = other.secret_;
  public_key_ = other.public_key_;
  sodium_memzero(other.secret_.data(), other.secret_.size());
  return *this;
}

Signature SigningKey::Sign(const uint8_t* message, size_t size) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message, size, secret_.data());
  return sig;
}

std::vector<uint8_t> SigningKey::SecretBytes() const {
  return std::vector<uint8_t>(secret_.begin(), secret_.end());
}

bool VerifySignature(const PublicKey& key, const uint8_t* message, size_t size,
                     const Signature& signature) {
  EnsureSodium();
  return crypto_sign_verify_detached(signature.data(), message, size, key.data()) == 0;
}

absl::StatusOr<SealedBox> SealedBox::OpenKeyFile(const std::string& path) {
  EnsureSodium();
  SealedBox box;
  std::FILE* file = platform::OpenFile(path, "rb");
  if (file == nullptr && errno == ENOENT) {
    crypto_aead_xchacha20poly1305_ietf_keygen(box.key_.data());
    const absl::Status written = platform::WriteNewPrivateFile(
        path, std::string_view(reinterpret_cast<const char*>(box.key_.data()), box.key_.size()));
    if (!written.ok()) {
      return absl::InternalError(absl::StrCat("creating key file: ", written.message()));
    }
    return box;
  }
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("opening key file ", path, ": ", std::strerror(errno)));
  }
  // Unbuffered: the key goes from the file into key_ and nowhere else. One byte more than a key
  // tells a longer file apart.
  std::setvbuf(file, nullptr, _IONBF, 0);
  const size_t got = std::fread(box.key_.data(), 1, box.key_.size(), file);
  uint8_t extra = 0;
  const bool longer = got == box.key_.size() && std::fread(&extra, 1, 1, file) == 1;
  std::fclose(file);
  if (got != box.key_.size() || longer) {
    sodium_memzero(box.key_.data(), box.key_.size());
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path,
                     " is not a 32-byte key; restore it from backup (without it the "
                     "encrypted templates and evidence cannot be read)"));
  }
  return box;
}

SealedBox SealedBox::FromKeyForTest(const std::array<uint8_t, 32>& key) {
  EnsureSodium();
  SealedBox box;
  box.key_ = key;
  return box;
}

SealedBox::~SealedBox() { sodium_memzero(key_.data(), key_.size()); }
SealedBox::SealedBox(SealedBox&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}
SealedBox& SealedBox::operator=(SealedBox&& other) noexcept {
  key_ = other.key_;
  sodium_memzero(other.key_.data(), other.key_.size());
  return *this;
}

std::vector<uint8_t> SealedBox::Seal(const std::vector<uint8_t>& plaintext,
                                     std::string_view ad) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::vector<uint8_t> out(kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(out.data(), kNonce);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + kNonce, &written, plaintext.data(), plaintext.size(),
      reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, out.data(), key_.data());
  out.resize(kNonce + written);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> SealedBox::Open(const std::vector<uint8_t>& sealed,
                                                     std::string_view ad) const {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kNonce + kTag) {
    return absl::DataLossError("encrypted blob is too short to be valid");
  }
  std::vector<uint8_t> out(sealed.size() - kNonce - kTag);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &written, nullptr,
                                                 sealed.data() + kNonce, sealed.size() - kNonce,
                                                 reinterpret_cast<const uint8_t*>(ad.data()),
                                                 ad.size(), sealed.data(), key_.data()) != 0) {
    return absl::DataLossError(
        "encrypted blob failed authentication (altered, moved, or sealed with another key)");
  }
  out.resize(written);
  return out;
}

std::vector<uint8_t> SealedBox::KeyedTag(std::string_view context, std::string_view message,
                                         size_t bytes) const {
  if (context.size() != crypto_kdf_CONTEXTBYTES) {
    throw std::invalid_argument("KeyedTag: the context must be 8 characters");
  }
  if (bytes < crypto_generichash_BYTES_MIN || bytes > crypto_generichash_BYTES_MAX) {
    throw std::invalid_argument("KeyedTag: 16-64 bytes");
  }
  char ctx[crypto_kdf_CONTEXTBYTES];
  std::memcpy(ctx, context.data(), sizeof ctx);
  std::array<uint8_t, 32> subkey{};
  crypto_kdf_derive_from_key(subkey.data(), subkey.size(), 1, ctx, key_.data());
  std::vector<uint8_t> out(bytes);
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const uint8_t*>(message.data()),
                     message.size(), subkey.data(), subkey.size());
  sodium_memzero(subkey.data(), subkey.size());
  return out;
}

std::vector<uint8_t> Blake2b(const uint8_t* data, size_t size, size_t out_size) {
  EnsureSodium();
  if (out_size < crypto_generichash_BYTES_MIN || out_size > crypto_generichash_BYTES_MAX) {
    throw std::invalid_argument("Blake2b: 16-64 bytes");
  }
  std::vector<uint8_t> out(out_size);
  crypto_generichash(out.data(), out.size(), data, size, nullptr, 0);
  return out;
}

std::string RandomToken(size_t bytes) {
  EnsureSodium();
  std::vector<uint8_t> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : raw) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

uint32_t RandomBelow(uint32_t n) {
  EnsureSodium();
  return n <= 1 ? 0 : randombytes_uniform(n);
}

std::string SecretHash(std::string_view secret) {
  EnsureSodium();
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const uint8_t*>(secret.data()), secret.size());
  return ToHex(digest, sizeof(digest));
}

Sha256Stream::Sha256Stream() : state_((crypto_hash_sha256_statebytes() + 7) / 8) {
  EnsureSodium();
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_.data()));
}

void Sha256Stream::Update(const uint8_t* data, size_t size) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_.data()), data, size);
}

std::array<uint8_t, 32> Sha256Stream::Finish() {
  std::array<uint8_t, 32> digest{};
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_.data()),
                           digest.data());
  return digest;
}

std::string ToHex(const uint8_t* data, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

}  // namespace proctor

/* HMAC-SHA256 and random bytes through OpenSSL's libcrypto (linked for the pack writers'
   SHA-1): the MCP server signs the state of an input round trip with a key kept in the
   repository's git directory. */
#include "shim.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

int tack_hmac_sha256(
    const void *key, size_t key_length, const void *bytes, size_t count, unsigned char mac[32]) {
  size_t length = 0;
  if (EVP_Q_mac(
          NULL, "HMAC", NULL, "SHA256", NULL, key, key_length, bytes, count, mac, 32, &length)
          == NULL
      || length != 32)
    return -1;
  return 0;
}

int tack_random_bytes(unsigned char *bytes, size_t count) {
  return RAND_bytes(bytes, (int)count) == 1 ? 0 : -1;
}

int tack_sha256(const void *bytes, size_t count, unsigned char digest[32]) {
  unsigned int length = 0;
  if (EVP_Digest(bytes, count, digest, &length, EVP_sha256(), NULL) != 1 || length != 32)
    return -1;
  return 0;
}

/* SSH host keys checked against OpenSSH's known_hosts files, through libssh2's known-hosts
   parser: libgit2 1.5.1 hands Tack the server's raw key; by itself it reads only
   ~/.ssh/known_hosts and says no more than "invalid or unknown remote ssh hostkey". */
#include "shim.h"

#include <libssh2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int known_key_type(git_cert_ssh_raw_type_t type) {
  switch (type) {
  case GIT_CERT_SSH_RAW_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
  case GIT_CERT_SSH_RAW_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
  case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
  case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
  case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
  case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
  default: return 0;
  }
}

/* Reads one known_hosts file line by line, so that a line libssh2 cannot parse (a marker such
   as @cert-authority, a key type it does not know) is skipped instead of ending the file. */
static void read_file(LIBSSH2_KNOWNHOSTS *hosts, const char *path) {
  FILE *file = fopen(path, "re");
  if (!file) return;
  char *line = NULL;
  size_t size = 0;
  ssize_t length;
  while ((length = getline(&line, &size, file)) > 0) {
    (void)libssh2_knownhost_readline(hosts, line, (size_t)length, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
  }
  free(line);
  fclose(file);
}

int tack_ssh_host_key_type(const git_cert *cert) {
  if (!cert || cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return -1;
  const git_cert_hostkey *key = (const git_cert_hostkey *)cert;
  return (key->type & GIT_CERT_SSH_RAW) ? (int)key->raw_type : 0;
}

int tack_ssh_known_host(
    const git_cert *cert, const char *host, int port, const char *const *files, size_t count,
    char fingerprint[64]) {
  fingerprint[0] = 0;
  if (!cert || cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return -1;
  const git_cert_hostkey *key = (const git_cert_hostkey *)cert;
  if (key->type & GIT_CERT_SSH_SHA256) {
    unsigned char text[64];
    int length = EVP_EncodeBlock(text, key->hash_sha256, 32);
    while (length > 0 && text[length - 1] == '=') length--;
    snprintf(fingerprint, 64, "SHA256:%.*s", length, (const char *)text);
  }
  if (!(key->type & GIT_CERT_SSH_RAW) || !key->hostkey || key->hostkey_len == 0) return -1;
  /* libssh2 keeps known hosts in an object tied to a session; this one never connects. */
  LIBSSH2_SESSION *session = libssh2_session_init();
  if (!session) return -1;
  LIBSSH2_KNOWNHOSTS *hosts = libssh2_knownhost_init(session);
  if (!hosts) {
    libssh2_session_free(session);
    return -1;
  }
  for (size_t i = 0; i < count; i++) read_file(hosts, files[i]);
  int type = known_key_type(key->raw_type);
  int result = -1;
  if (type != 0) {
    int check = libssh2_knownhost_checkp(
        hosts, host, port, key->hostkey, key->hostkey_len,
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | type, NULL);
    switch (check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH: result = 0; break;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: result = 1; break;
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND: result = 2; break;
    default: result = -1;
    }
  }
  libssh2_knownhost_free(hosts);
  libssh2_session_free(session);
  return result;
}

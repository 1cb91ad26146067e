/* The comparison harness's binding to libmacaroons 0.3.0 (Debian's libmacaroons-dev, V1
 * format): mint a token once, then deserialize + verify it with exact predicates, the work a
 * libmacaroons user does per request. Built by build.rs with the `cc` crate. */
#include <stddef.h>
#include <string.h>

#include <macaroons.h>

/* Mints a V1 token of N first-party caveats into OUT (NUL-terminated); returns its length, or
 * -1 on any libmacaroons error or when OUT is too small. */
long cvt_lm_mint(const unsigned char *location, size_t location_sz,
                 const unsigned char *key, size_t key_sz,
                 const unsigned char *id, size_t id_sz,
                 const unsigned char *const *preds, const size_t *pred_szs, size_t n,
                 char *out, size_t out_sz)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    struct macaroon *M = macaroon_create(location, location_sz, key, key_sz, id, id_sz, &err);
    size_t i;
    int written;
    if (M == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        struct macaroon *next = macaroon_add_first_party_caveat(M, preds[i], pred_szs[i], &err);
        macaroon_destroy(M);
        if (next == NULL) {
            return -1;
        }
        M = next;
    }
    if (macaroon_serialize_size_hint(M) >= out_sz) {
        macaroon_destroy(M);
        return -1;
    }
    written = macaroon_serialize(M, out, out_sz, &err);
    macaroon_destroy(M);
    if (written < 0) {
        return -1;
    }
    return (long)strlen(out);
}

/* A verifier satisfied by exactly the N predicates; NULL on failure. */
struct macaroon_verifier *cvt_lm_verifier(const unsigned char *const *preds,
                                          const size_t *pred_szs, size_t n)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    struct macaroon_verifier *V = macaroon_verifier_create();
    size_t i;
    if (V == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (macaroon_verifier_satisfy_exact(V, preds[i], pred_szs[i], &err) < 0) {
            macaroon_verifier_destroy(V);
            return NULL;
        }
    }
    return V;
}

void cvt_lm_verifier_free(struct macaroon_verifier *V)
{
    macaroon_verifier_destroy(V);
}

/* Deserializes TEXT (NUL-terminated) and verifies it with V and KEY: 1 accepted, 0 not. */
int cvt_lm_verify(const struct macaroon_verifier *V, const char *text,
                  const unsigned char *key, size_t key_sz)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    struct macaroon *M = macaroon_deserialize(text, &err);
    int rc;
    if (M == NULL) {
        return 0;
    }
    rc = macaroon_verify(V, M, key, key_sz, NULL, 0, &err);
    macaroon_destroy(M);
    return rc == 0;
}

/* A peer for the differential in tests/peers/run.sh: mints, attenuates and verifies V1
 * macaroons with libmacaroons (0.3.0, Debian's libmacaroons-dev), the C library the formats are
 * named after.
 *
 *   libmacaroons_peer mint  v1 LOCATION KEY ID             prints the token
 *   libmacaroons_peer first v1 TOKEN PREDICATE              prints the token with the caveat
 *   libmacaroons_peer third v1 TOKEN LOCATION KEY CID       prints the token with the caveat
 *   libmacaroons_peer bind  v1 TOKEN DISCHARGE              prints the discharge bound to TOKEN
 *   libmacaroons_peer verify v1 TOKEN KEY NOW [exact:P | discharge:D]...
 *   libmacaroons_peer third-party-count v1 TOKEN            prints how many third-party caveats
 *                                                          libmacaroons lists
 *
 * verify prints "accept" (exit 0) or "deny: REASON" (exit 1); a token that does not
 * deserialize is a denial too. Any other failure (bad usage, out of memory, a serializer error)
 * prints "peer error: ..." and exits 3, so the driver can tell it from a denial; a crash is
 * neither. Besides the exact predicates, `time < N` holds when N > NOW (a general satisfier
 * with the meaning caveat-token gives it). Keys and identifiers are the argument's bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <macaroons.h>

#define PEER_ERROR 3

static void fail(const char *what, enum macaroon_returncode err)
{
    printf("peer error: %s (libmacaroons code %d)\n", what, (int)err);
    exit(PEER_ERROR);
}

static void usage(void)
{
    printf("peer error: usage: see the comment at the top of libmacaroons_peer.c\n");
    exit(PEER_ERROR);
}

static const unsigned char *u(const char *s)
{
    return (const unsigned char *)s;
}

/* Prints M serialized (libmacaroons' own text form) and destroys it. */
static int print_macaroon(struct macaroon *M)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    size_t size = macaroon_serialize_size_hint(M);
    char *out = malloc(size + 1);
    if (out == NULL) {
        fail("malloc", MACAROON_OUT_OF_MEMORY);
    }
    if (macaroon_serialize(M, out, size + 1, &err) < 0) {
        fail("macaroon_serialize", err);
    }
    printf("%s\n", out);
    free(out);
    macaroon_destroy(M);
    return 0;
}

/* A token from the command line; NULL (with a reason printed) when it does not deserialize. */
static struct macaroon *read_macaroon(const char *text)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    struct macaroon *M = macaroon_deserialize(text, &err);
    if (M == NULL && err == MACAROON_OUT_OF_MEMORY) {
        fail("macaroon_deserialize", err);
    }
    return M;
}

static struct macaroon *must_read(const char *text)
{
    struct macaroon *M = read_macaroon(text);
    if (M == NULL) {
        fail("macaroon_deserialize: the token does not deserialize", MACAROON_INVALID);
    }
    return M;
}

static unsigned long long now;

/* `time < N`, N decimal without leading zeros, holds when N > now. */
static int time_check(void *f, const unsigned char *pred, size_t pred_sz)
{
    static const char prefix[] = "time < ";
    size_t plen = sizeof(prefix) - 1;
    unsigned long long n = 0;
    size_t i;
    (void)f;
    if (pred_sz <= plen || memcmp(pred, prefix, plen) != 0) {
        return -1;
    }
    if (pred[plen] == '0' && pred_sz > plen + 1) {
        return -1;
    }
    for (i = plen; i < pred_sz; i++) {
        if (pred[i] < '0' || pred[i] > '9' || n > (~0ULL - 9) / 10) {
            return -1;
        }
        n = n * 10 + (unsigned long long)(pred[i] - '0');
    }
    return n > now ? 0 : -1;
}

static int verify(int argc, char **argv)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    struct macaroon *M;
    struct macaroon **discharges;
    struct macaroon_verifier *V;
    size_t n = 0;
    int i;
    int result;
    char *end = NULL;

    if (argc < 6) {
        usage();
    }
    errno = 0;
    now = strtoull(argv[5], &end, 10);
    if (errno != 0 || end == argv[5] || *end != '\0') {
        usage();
    }
    M = read_macaroon(argv[3]);
    if (M == NULL) {
        printf("deny: the token does not deserialize\n");
        return 1;
    }
    V = macaroon_verifier_create();
    discharges = calloc((size_t)argc, sizeof(*discharges));
    if (V == NULL || discharges == NULL) {
        fail("allocation", MACAROON_OUT_OF_MEMORY);
    }
    if (macaroon_verifier_satisfy_general(V, time_check, NULL, &err) < 0) {
        fail("macaroon_verifier_satisfy_general", err);
    }
    for (i = 6; i < argc; i++) {
        if (strncmp(argv[i], "exact:", 6) == 0) {
            const char *p = argv[i] + 6;
            if (macaroon_verifier_satisfy_exact(V, u(p), strlen(p), &err) < 0) {
                fail("macaroon_verifier_satisfy_exact", err);
            }
        } else if (strncmp(argv[i], "discharge:", 10) == 0) {
            discharges[n] = read_macaroon(argv[i] + 10);
            if (discharges[n] == NULL) {
                printf("deny: a discharge does not deserialize\n");
                return 1;
            }
            n++;
        } else {
            usage();
        }
    }
    result = macaroon_verify(V, M, u(argv[4]), strlen(argv[4]), discharges, n, &err);
    if (result == 0) {
        printf("accept\n");
        return 0;
    }
    /* MACAROON_NOT_AUTHORIZED and MACAROON_INVALID are refusals; others are failures. */
    if (err == MACAROON_OUT_OF_MEMORY || err == MACAROON_HASH_FAILED) {
        fail("macaroon_verify", err);
    }
    printf("deny: libmacaroons code %d\n", (int)err);
    return 1;
}

int main(int argc, char **argv)
{
    enum macaroon_returncode err = MACAROON_SUCCESS;
    struct macaroon *M;
    struct macaroon *N;
    const char *cmd;

    if (argc < 3 || strcmp(argv[2], "v1") != 0) {
        usage();
    }
    cmd = argv[1];
    if (strcmp(cmd, "mint") == 0 && argc == 6) {
        M = macaroon_create(u(argv[3]), strlen(argv[3]), u(argv[4]), strlen(argv[4]),
                            u(argv[5]), strlen(argv[5]), &err);
        if (M == NULL) {
            fail("macaroon_create", err);
        }
        return print_macaroon(M);
    }
    if (strcmp(cmd, "first") == 0 && argc == 5) {
        M = must_read(argv[3]);
        N = macaroon_add_first_party_caveat(M, u(argv[4]), strlen(argv[4]), &err);
        if (N == NULL) {
            fail("macaroon_add_first_party_caveat", err);
        }
        macaroon_destroy(M);
        return print_macaroon(N);
    }
    if (strcmp(cmd, "third") == 0 && argc == 7) {
        M = must_read(argv[3]);
        N = macaroon_add_third_party_caveat(M, u(argv[4]), strlen(argv[4]), u(argv[5]),
                                            strlen(argv[5]), u(argv[6]), strlen(argv[6]), &err);
        if (N == NULL) {
            fail("macaroon_add_third_party_caveat", err);
        }
        macaroon_destroy(M);
        return print_macaroon(N);
    }
    if (strcmp(cmd, "bind") == 0 && argc == 5) {
        struct macaroon *D;
        M = must_read(argv[3]);
        D = must_read(argv[4]);
        N = macaroon_prepare_for_request(M, D, &err);
        if (N == NULL) {
            fail("macaroon_prepare_for_request", err);
        }
        macaroon_destroy(M);
        macaroon_destroy(D);
        return print_macaroon(N);
    }
    if (strcmp(cmd, "third-party-count") == 0 && argc == 4) {
        M = must_read(argv[3]);
        printf("%u\n", macaroon_num_third_party_caveats(M));
        macaroon_destroy(M);
        return 0;
    }
    if (strcmp(cmd, "verify") == 0) {
        return verify(argc, argv);
    }
    usage();
    return PEER_ERROR;
}

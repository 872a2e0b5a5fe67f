/*
 * The names the server harness's str fields choose from (fill.h), shared
 * with gen_seeds so that seeds name them by index. NULL entries are set
 * at run time (paths under the harness's temporary directory).
 */
#ifndef FUZZ_SERVER_NAMES_H
#define FUZZ_SERVER_NAMES_H

#define FZ_SERVER_NAMES(X) \
	X(A, "a") X(D, "d") X(F, "f") X(E, "e") X(L, "l") X(ABS, "abs") \
	X(NEW, "new") X(X, "x") X(DOTDOT, "..") X(DOT, ".") X(EMPTY, "") \
	X(SLASHED, "d/f") X(OUTSIDE, "outside") X(SECRET, "secret") \
	X(REL_OUTSIDE, "../outside") X(REL_SECRET, "../outside/secret") \
	X(ABS_SECRET, NULL) X(OUTSIDE_DIR, NULL) X(EXPORT_DIR, NULL) X(ROOT, "/") \
	X(UX, "user.x") X(UY, "user.y") X(TX, "trusted.x") \
	X(SECCAP, "security.capability") X(ACL, "system.posix_acl_access") \
	X(UROOT, "root") X(UNOBODY, "nobody") X(VERSION, "9P2000.L") \
	X(LONG255, NULL) X(LONG256, NULL) X(SPACES, "n e w") X(UTF8, "\xc3\xa9t\xc3\xa9")

enum {
#define X(id, s)	FZN_##id,
	FZ_SERVER_NAMES(X)
#undef X
	FZN_COUNT
};

/* Op selectors of the server harness's language (fuzz_server.c). */
#define FZ_OP_SYNC	0xe0
#define FZ_OP_VANISH	0xef	/* the last of the sync range */
#define FZ_OP_RAWFRAME	0xf0
#define FZ_OP_RAWBYTES	0xf8

#endif /* FUZZ_SERVER_NAMES_H */

/*
 * Eva harness: p9_msg_encode of every message of every type (each of the
 * 256 type values) whose views are readable for their length, into a
 * buffer of every capacity 0..P9_PROOF_CAP.
 *
 * The message is built field by field from p9_msgs.def, the table that
 * the encoder itself is expanded from, so every field the encoder reads is
 * set:
 *   - integers (u8 .. u64, fid, x32, x64, o32, opt32), the tag and the
 *     qids' fields: any value;
 *   - a string or a data view: any length 0..P9_PROOF_STRLEN, pointing at
 *     the last len bytes of pool, whose bytes are arbitrary (so a string
 *     may hold NUL, and Rreaddir's data may or may not be whole dirents).
 *     A read past a view's end is out of bounds for Eva;
 *   - a string list: any count 0..16, or any larger count (one case), of
 *     one view of any length (every element the same view: Eva evaluates
 *     p9_wr_strs's precondition over all elements at once);
 *   - a qid list: any count 0..16, or any larger count, of any qids.
 * A decoded message is one of these: its views lie inside the frame, for
 * their length (proofs/README.md).
 *
 * The buffer is out[0 .. cap), cap any value 0..P9_PROOF_CAP (not split:
 * each write gate p9_wr_put splits the capacities into those where the
 * field fits and those where it does not). Eva checks p9_wr_ok (base[0 ..
 * cap) writable) at every writer; that nothing is written past cap is the
 * writers' WP contract (they assign base[pos .. cap) only).
 *
 * The splits only make Eva look at cases one by one; the cases together
 * are every such message. -DP9_PROOF_TYPE=n restricts the run to type n
 * (for experiments; ci/prove.sh does not set it).
 */
#include "__fc_builtin.h"
#include "p9.h"

#ifndef P9_PROOF_STRLEN
#define P9_PROOF_STRLEN 8
#endif
#ifndef P9_PROOF_CAP
#define P9_PROOF_CAP 168
#endif

static uint8_t pool[P9_PROOF_STRLEN];
static uint8_t out[P9_PROOF_CAP];

static void mk_u8(uint8_t *v) { *v = Frama_C_unsigned_char_interval(0, UINT8_MAX); }
static void mk_u16(uint16_t *v) { *v = Frama_C_unsigned_short_interval(0, UINT16_MAX); }
static void mk_u32(uint32_t *v) { *v = Frama_C_unsigned_int_interval(0, UINT32_MAX); }
static void mk_u64(uint64_t *v) { *v = Frama_C_unsigned_long_long_interval(0, UINT64_MAX); }
static void mk_fid(uint32_t *v) { mk_u32(v); }
static void mk_x32(uint32_t *v) { mk_u32(v); }
static void mk_o32(uint32_t *v) { mk_u32(v); }
static void mk_opt32(uint32_t *v) { mk_u32(v); }
static void mk_x64(uint64_t *v) { mk_u64(v); }

static void
mk_qid(struct p9_qid *v)
{
	mk_u8(&v->type);
	mk_u32(&v->version);
	mk_u64(&v->path);
}

/*
 * A view of the last len bytes of pool, len split over 0..STRLEN. Each
 * string of a message is split on its own variable: a split is known by
 * its expression, and a second split on the same one would merge the
 * cases of the first. A message holds at most two strings (a list is one
 * view).
 */
static unsigned nstr;
static uint16_t len0, len1;
static uint32_t dlen;

static void
mk_str(struct p9_str *v)
{
	uint16_t len;

	if (nstr++ == 0) {
		len0 = Frama_C_unsigned_short_interval(0, P9_PROOF_STRLEN);
		//@ split len0;
		len = len0;
	} else {
		len1 = Frama_C_unsigned_short_interval(0, P9_PROOF_STRLEN);
		//@ split len1;
		len = len1;
	}
	v->ptr = (const char *)pool + P9_PROOF_STRLEN - len;
	v->len = len;
}

static void
mk_data(struct p9_data *v)
{
	dlen = Frama_C_unsigned_int_interval(0, P9_PROOF_STRLEN);
	//@ split dlen;
	v->ptr = pool + P9_PROOF_STRLEN - dlen;
	v->len = dlen;
}

/* A count: each of 0..16, and every larger value as one case. */
static uint16_t
mk_count(void)
{
	uint16_t k = Frama_C_unsigned_short_interval(0, P9_MAXWELEM + 1);

	//@ split k;
	return k <= P9_MAXWELEM ? k :
	    Frama_C_unsigned_short_interval(P9_MAXWELEM + 1, UINT16_MAX);
}

/* Every string of the list is the same view (Eva evaluates the writer's
 * precondition on all of them at once, and cannot tell them apart). */
static void
mk_strs(struct p9_strs *v)
{
	struct p9_str one;

	v->n = mk_count();
	mk_str(&one);
	for (int i = 0; i < P9_MAXWELEM; i++)
		v->s[i] = one;
}

static void
mk_qids(struct p9_qids *v)
{
	v->n = mk_count();
	for (int i = 0; i < P9_MAXWELEM; i++)
		mk_qid(&v->q[i]);
}

int
main(void)
{
	size_t cap = Frama_C_size_t_interval(0, P9_PROOF_CAP);
	uint8_t type = Frama_C_unsigned_char_interval(0, UINT8_MAX);
	struct p9_msg m;

	for (size_t i = 0; i < P9_PROOF_STRLEN; i++)
		pool[i] = Frama_C_unsigned_char_interval(0, UINT8_MAX);
#ifdef P9_PROOF_TYPE
	type = P9_PROOF_TYPE;
#endif
	//@ split type;
	m.type = type;
	mk_u16(&m.tag);
	switch (type) {
#define F(kind, name)	mk_##kind(&b->name);
#define P9_PAIR(UP, lo, num, tf, rf) \
	case P9_T##UP: { struct p9_t##lo *b = &m.t##lo; (void)b; tf } break; \
	case P9_R##UP: { struct p9_r##lo *b = &m.r##lo; (void)b; rf } break;
#define P9_RONLY(UP, lo, num, rf) \
	case P9_R##UP: { struct p9_r##lo *b = &m.r##lo; (void)b; rf } break;
#include "p9_msgs.def"
#undef P9_PAIR
#undef P9_RONLY
#undef F
	default:
		break;
	}
	return p9_msg_encode(&m, out, cap) < 0;
}

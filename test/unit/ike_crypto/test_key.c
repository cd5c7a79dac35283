/* SPDX-License-Identifier: MIT */
/* RSA keys and KEY_ID. Expected KEY_IDs were produced by strongSwan's own tool:
 * `pki --keyid --type pub --in rsaN.pub.pem --id spk|spki --format hex`
 * (test/data/crypto/make-fixtures.sh), so these are known answers. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "crypto_test.h"
#include "tst_keys.h"

/* Reads the 40-hex-digit KEY_ID from a fixture file. */
static void fixture_keyid(const char *name, uint8_t out[IKE_KEYID_LEN])
{
	size_t len;
	uint8_t *text = tst_read_fixture(name, &len);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = 0;
	cr_assert(eq(sz, len, 40), "%s: %zu chars", name, len);
	cr_assert(eq(int, ike_keyid_parse((const char *)text, out), IKE_OK));
	free(text);
}

static void check_keyids(const char *key_file, int n)
{
	char name[64];
	uint8_t spk[20], spki[20], got[20];
	snprintf(name, sizeof name, "rsa%d.keyid.spk", n);
	fixture_keyid(name, spk);
	snprintf(name, sizeof name, "rsa%d.keyid.spki", n);
	fixture_keyid(name, spki);
	ike_key *k = tst_load_key(key_file);
	cr_assert(eq(u32, ike_key_bits(k), 2048), "%s", key_file);
	cr_assert(eq(int, ike_key_keyid(k, IKE_KEYID_SPK, got), IKE_OK));
	cr_assert(eq(u8[20], got, spk), "%s: spk KEY_ID differs from pki's", key_file);
	cr_assert(eq(int, ike_key_keyid(k, IKE_KEYID_SPKI, got), IKE_OK));
	cr_assert(eq(u8[20], got, spki), "%s: spki KEY_ID differs from pki's", key_file);
	ike_key_free(k);
}

Test(ike_crypto_key, keyid_matches_pki_for_every_input_form)
{
	static const char *forms[] = {"pub.pem", "pub.der", "pub.pkcs1.pem", "pub.pkcs1.der", "pub.ssh",
	                              "key.pem", "key.der", "key.pkcs8.pem", "key.pkcs8.der"};
	char name[64];
	for (int n = 1; n <= 2; n++) {
		for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
			snprintf(name, sizeof name, "rsa%d.%s", n, forms[i]);
			check_keyids(name, n);
		}
	}
}

Test(ike_crypto_key, private_and_public_forms_are_told_apart)
{
	ike_key *priv = tst_load_key("rsa1.key.pkcs8.pem"), *pub = tst_load_key("rsa1.pub.ssh");
	ike_key *other = tst_load_key("rsa2.pub.pem");
	cr_assert(ike_key_is_private(priv));
	cr_assert(not(ike_key_is_private(pub)));
	cr_assert(ike_key_public_eq(priv, pub));
	cr_assert(not(ike_key_public_eq(pub, other)));
	ike_key *copy = NULL;
	cr_assert(eq(int, ike_key_public_copy(priv, &copy), IKE_OK));
	cr_assert(not(ike_key_is_private(copy)));
	cr_assert(ike_key_public_eq(copy, priv));
	ike_key_free(copy);
	ike_key_free(priv);
	ike_key_free(pub);
	ike_key_free(other);
}

Test(ike_crypto_key, key_id_identity_matches_both_forms)
{
	ike_key *k = tst_load_key("rsa1.pub.pem"), *other = tst_load_key("rsa2.pub.pem");
	ike_id id, id2;
	cr_assert(eq(int, ike_key_id(k, IKE_KEYID_SPK, &id), IKE_OK));
	cr_assert(eq(u8, id.type, IKE_ID_KEY_ID));
	cr_assert(eq(u8, id.len, 20));
	cr_assert(ike_key_matches_id(k, &id));
	cr_assert(eq(int, ike_key_id(k, IKE_KEYID_SPKI, &id2), IKE_OK));
	cr_assert(ike_key_matches_id(k, &id2));
	cr_assert(not(ike_key_matches_id(other, &id)));
	cr_assert(not(ike_key_matches_id(other, &id2)));
	id.type = IKE_ID_FQDN;
	cr_assert(not(ike_key_matches_id(k, &id)));
	ike_key_free(k);
	ike_key_free(other);
}

Test(ike_crypto_key, weak_key_is_reported_by_size)
{
	ike_key *k = tst_load_key("rsa1024.pub.pem");
	cr_assert(eq(u32, ike_key_bits(k), 1024));
	cr_assert(lt(u32, ike_key_bits(k), IKE_KEY_MIN_BITS));
	ike_key_free(k);
	k = tst_load_key("rsa1024.key.pem");
	cr_assert(eq(u32, ike_key_bits(k), 1024));
	ike_key_free(k);
	/* And we never make one. */
	cr_assert(eq(int, ike_key_generate(&k, NULL, 1024), IKE_ERR_INVAL));
	cr_assert(eq(ptr, k, NULL));
}

/* Loads a tst_keys.h key (through PEM, as a user would give it). */
static ike_key *load_kind(tst_rsa kind)
{
	char *pem = tst_rsa_pem(kind);
	ike_key *k = NULL;
	cr_assert(eq(int, ike_key_load(&k, NULL, IKE_SLICE(pem, strlen(pem))), IKE_OK), "%s",
	          tst_rsa_name(kind));
	free(pem);
	return k;
}

/* Each weak key is refused with IKE_ERR_WEAK_KEY and a reason naming its flaw. */
Test(ike_crypto_key, check_public_refuses_weak_keys, .timeout = 60)
{
	static const struct {
		tst_rsa kind;
		const char *reason;
	} cases[] = {
	    {TST_RSA_E1, "exponent is 1 (at least 65537 is needed: with 1 anyone can forge"},
	    {TST_RSA_E3, "exponent is 3 (at least 65537"},
	    {TST_RSA_E_65535, "exponent is 65535 (at least 65537"},
	    {TST_RSA_E_EVEN, "exponent 65536 is even"},
	    {TST_RSA_N_EVEN, "modulus is even"},
	    {TST_RSA_1024, "modulus has 1024 bits (at least 2048"},
	    {TST_RSA_SMALL_FACTOR, "small prime factor"},
	    {TST_RSA_SQUARE, "square"},
	    {TST_RSA_CLOSE_PRIMES, "too close together"},
	};
	char why[IKE_KEY_WHY_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ike_key *k = load_kind(cases[i].kind);
		cr_assert(eq(int, ike_key_check_public(k, why, sizeof why), IKE_ERR_WEAK_KEY), "%s",
		          tst_rsa_name(cases[i].kind));
		cr_assert(strstr(why, cases[i].reason) != NULL, "%s: \"%s\"", tst_rsa_name(cases[i].kind),
		          why);
		ike_key_free(k);
	}
	/* The 1024-bit fixture too, and a short buffer or none is fine. */
	ike_key *k = tst_load_key("rsa1024.pub.pem");
	cr_assert(eq(int, ike_key_check_public(k, why, 8), IKE_ERR_WEAK_KEY));
	cr_assert(eq(sz, strlen(why), 7));
	cr_assert(eq(int, ike_key_check_public(k, NULL, 0), IKE_ERR_WEAK_KEY));
	ike_key_free(k);
	cr_assert(eq(int, ike_key_check_public(NULL, why, sizeof why), IKE_ERR_INVAL));
	cr_assert(eq(str, (char *)ike_strerror(IKE_ERR_WEAK_KEY), "weak or unusable RSA public key"));
}

/* The shape check (each IKE_AUTH) refuses what sizes, parities and the exponent
 * show, with the full check's reasons, and leaves the factor search to the full
 * check (where a key enters). */
Test(ike_crypto_key, check_shape_refuses_bad_shapes_only, .timeout = 60)
{
	char why[IKE_KEY_WHY_MAX], full[IKE_KEY_WHY_MAX];

	for (int kind = TST_RSA_GOOD; kind < TST_RSA_COUNT; kind++) {
		ike_key *k = load_kind((tst_rsa)kind);
		bool factor_only =
		    kind == TST_RSA_SMALL_FACTOR || kind == TST_RSA_SQUARE || kind == TST_RSA_CLOSE_PRIMES;
		int rc = ike_key_check_public(k, full, sizeof full);
		if (rc == IKE_OK || factor_only) {
			cr_assert(eq(int, ike_key_check_shape(k, why, sizeof why), IKE_OK), "%s: %s",
			          tst_rsa_name((tst_rsa)kind), why);
			cr_assert(eq(str, why, ""));
		} else {
			cr_assert(eq(int, ike_key_check_shape(k, why, sizeof why), IKE_ERR_WEAK_KEY), "%s",
			          tst_rsa_name((tst_rsa)kind));
			cr_assert(eq(str, why, full), "the same reason as the full check");
		}
		ike_key_free(k);
	}
	cr_assert(eq(int, ike_key_check_shape(NULL, why, sizeof why), IKE_ERR_INVAL));
}

Test(ike_crypto_key, check_public_accepts_sound_keys, .timeout = 60)
{
	static const char *files[] = {"rsa1.pub.pem", "rsa2.pub.ssh", "rsa2.key.pem"};
	char why[IKE_KEY_WHY_MAX];
	ike_key *k;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		k = tst_load_key(files[i]);
		cr_assert(eq(int, ike_key_check_public(k, why, sizeof why), IKE_OK), "%s: %s", files[i], why);
		cr_assert(eq(str, why, ""));
		ike_key_free(k);
	}
	/* Two primes 2^700 apart are far beyond Fermat's reach: accepted. */
	k = load_kind(TST_RSA_GOOD_FAR);
	cr_assert(eq(int, ike_key_check_public(k, why, sizeof why), IKE_OK), "%s", why);
	ike_key_free(k);
	/* A key we generate always passes (2048 bits, e = 65537). */
	cr_assert(eq(int, ike_key_generate(&k, NULL, 2048), IKE_OK));
	cr_assert(eq(int, ike_key_check_public(k, why, sizeof why), IKE_OK), "%s", why);
	ike_key_free(k);
}

/* ssh-rsa lines with a bad exponent or modulus parse, so the check (not a
 * generic "malformed") says what is wrong with them. */
Test(ike_crypto_key, ssh_keys_with_weak_values_reach_the_check)
{
	ike_key *k = load_kind(TST_RSA_E1), *s = NULL;
	char line[2048], why[IKE_KEY_WHY_MAX];
	size_t len;

	cr_assert(eq(int, ike_key_public_ssh(k, NULL, line, sizeof line, &len), IKE_OK));
	cr_assert(eq(int, ike_key_load(&s, NULL, IKE_SLICE(line, len)), IKE_OK));
	cr_assert(ike_key_public_eq(k, s));
	cr_assert(eq(int, ike_key_check_public(s, why, sizeof why), IKE_ERR_WEAK_KEY));
	cr_assert(strstr(why, "exponent is 1") != NULL, "%s", why);
	ike_key_free(s);
	ike_key_free(k);
	k = load_kind(TST_RSA_N_EVEN);
	cr_assert(eq(int, ike_key_public_ssh(k, NULL, line, sizeof line, &len), IKE_OK));
	cr_assert(eq(int, ike_key_load(&s, NULL, IKE_SLICE(line, len)), IKE_OK));
	cr_assert(eq(int, ike_key_check_public(s, why, sizeof why), IKE_ERR_WEAK_KEY));
	cr_assert(strstr(why, "even") != NULL, "%s", why);
	ike_key_free(s);
	ike_key_free(k);
}

/* Loads data given as a C string. */
static int load_str(const char *s, ike_key **k)
{
	return ike_key_load(k, NULL, IKE_SLICE(s, strlen(s)));
}

Test(ike_crypto_key, ssh_line_variants)
{
	size_t len;
	uint8_t *line = tst_read_fixture("rsa1.pub.ssh", &len);
	char buf[2048];
	ike_key *k = NULL, *ref = tst_load_key("rsa1.pub.pem");
	/* Find the base64 blob. */
	char *b64 = strchr((char *)line, ' ') + 1;
	char *end = strchr(b64, ' ');
	cr_assert(end != NULL);
	*end = 0;
	/* Without comment, with tabs, with CRLF, with leading blank lines. */
	for (size_t i = 0; i < 3; i++) {
		if (i == 0)
			snprintf(buf, sizeof buf, "ssh-rsa %s", b64);
		else if (i == 1)
			snprintf(buf, sizeof buf, "ssh-rsa\t%s\tcomment with spaces\r\n", b64);
		else
			snprintf(buf, sizeof buf, "\n  ssh-rsa %s x\n\n", b64);
		cr_assert(eq(int, load_str(buf, &k), IKE_OK), "variant %zu", i);
		cr_assert(ike_key_public_eq(k, ref));
		ike_key_free(k);
	}
	/* Malformed: a second line, truncated base64, bad character, wrong type. */
	snprintf(buf, sizeof buf, "ssh-rsa %s c\nssh-rsa %s d\n", b64, b64);
	cr_assert(eq(int, load_str(buf, &k), IKE_ERR_MALFORMED));
	snprintf(buf, sizeof buf, "ssh-rsa %.*s", (int)strlen(b64) - 4, b64);
	cr_assert(eq(int, load_str(buf, &k), IKE_ERR_MALFORMED));
	snprintf(buf, sizeof buf, "ssh-rsa %s", b64);
	buf[20] = '*';
	cr_assert(eq(int, load_str(buf, &k), IKE_ERR_MALFORMED));
	cr_assert(eq(int,
	             load_str("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5vdCBhIHJlYWwga2V5IGF0IGFsbCEhISEh", &k),
	             IKE_ERR_UNSUPPORTED));
	/* The blob claims "ssh-dss". */
	cr_assert(eq(int, load_str("ssh-rsa AAAAB3NzaC1kc3MAAAABAQAAAAEB", &k), IKE_ERR_MALFORMED));
	cr_assert(eq(ptr, k, NULL));
	free(line);
	ike_key_free(ref);
}

Test(ike_crypto_key, ssh_blob_lengths_are_bounds_checked)
{
	/* Blob: string "ssh-rsa", then e claiming 0x7fffffff bytes. */
	static const uint8_t blob[] = {0,   0,   0,   7,    's',  's',  'h',  '-',
	                               'r', 's', 'a', 0x7f, 0xff, 0xff, 0xff, 1};
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[64] = "ssh-rsa ";
	size_t o = 8;
	for (size_t i = 0; i < sizeof blob; i += 3) {
		uint32_t w = (uint32_t)blob[i] << 16 |
		             (i + 1 < sizeof blob ? (uint32_t)blob[i + 1] << 8 : 0) |
		             (i + 2 < sizeof blob ? blob[i + 2] : 0);
		line[o++] = tbl[w >> 18 & 63];
		line[o++] = tbl[w >> 12 & 63];
		line[o++] = i + 1 < sizeof blob ? tbl[w >> 6 & 63] : '=';
		line[o++] = i + 2 < sizeof blob ? tbl[w & 63] : '=';
	}
	line[o] = 0;
	ike_key *k = NULL;
	cr_assert(eq(int, load_str(line, &k), IKE_ERR_MALFORMED));
}

Test(ike_crypto_key, garbage_and_foreign_keys_are_refused)
{
	ike_key *k = NULL;
	cr_assert(eq(int, load_str("hello", &k), IKE_ERR_MALFORMED));
	cr_assert(eq(int, load_str("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", &k),
	             IKE_ERR_MALFORMED));
	cr_assert(
	    eq(int,
	       load_str("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
	                &k),
	       IKE_ERR_UNSUPPORTED));
	/* An EC key is not RSA. */
	size_t len;
	uint8_t *ec = tst_read_fixture("ec256.pub.pem", &len);
	cr_assert(eq(int, ike_key_load(&k, NULL, IKE_SLICE(ec, len)), IKE_ERR_UNSUPPORTED));
	free(ec);
	uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	cr_assert(eq(int, ike_key_load(&k, NULL, IKE_SLICE(der, sizeof der)), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_key_load(&k, NULL, IKE_SLICE(NULL, 0)), IKE_ERR_INVAL));
	cr_assert(eq(ptr, k, NULL));
}

Test(ike_crypto_key, exports_reload_to_the_same_key)
{
	ike_key *k = tst_load_key("rsa2.key.pem"), *r = NULL;
	char pem[1024], ssh[1024];
	uint8_t der[1024];
	size_t len = 0;

	cr_assert(eq(int, ike_key_public_pem(k, NULL, 0, &len), IKE_OK));
	cr_assert(eq(int, ike_key_public_pem(k, pem, len, &len), IKE_ERR_NOBUF)); /* no room for the NUL */
	cr_assert(eq(int, ike_key_public_pem(k, pem, sizeof pem, &len), IKE_OK));
	cr_assert(eq(sz, strlen(pem), len));
	cr_assert(eq(int, strncmp(pem, "-----BEGIN PUBLIC KEY-----", 26), 0));
	cr_assert(eq(int, load_str(pem, &r), IKE_OK));
	cr_assert(ike_key_public_eq(k, r));
	ike_key_free(r);

	cr_assert(eq(int, ike_key_public_ssh(k, "bob@example", ssh, sizeof ssh, &len), IKE_OK));
	size_t flen;
	uint8_t *fix = tst_read_fixture("rsa2.pub.ssh", &flen);
	/* Same blob as ssh-keygen's. */
	cr_assert(eq(int, memcmp(ssh, fix, strchr((char *)fix + 8, ' ') - (char *)fix), 0));
	free(fix);
	cr_assert(eq(int, ike_key_public_ssh(k, "two\nlines", ssh, sizeof ssh, &len), IKE_ERR_INVAL));

	cr_assert(eq(int, ike_key_public_der(k, IKE_KEY_PUB_PKCS1, der, sizeof der, &len), IKE_OK));
	uint8_t *pk1 = tst_read_fixture("rsa2.pub.pkcs1.der", &flen);
	cr_assert(eq(sz, len, flen));
	cr_assert(eq(int, memcmp(der, pk1, len), 0));
	free(pk1);
	cr_assert(eq(int, ike_key_public_der(k, IKE_KEY_PUB_SPKI, der, sizeof der, &len), IKE_OK));
	uint8_t *spki = tst_read_fixture("rsa2.pub.der", &flen);
	cr_assert(eq(sz, len, flen));
	cr_assert(eq(int, memcmp(der, spki, len), 0));
	free(spki);
	cr_assert(eq(int, ike_key_public_der(k, IKE_KEY_PUB_SPKI, der, 10, &len), IKE_ERR_NOBUF));
	cr_assert(eq(sz, len, flen));
	ike_key_free(k);
}

Test(ike_crypto_key, generated_key_is_written_0600_and_reloads, .timeout = 60)
{
	ike_key *k = NULL, *r = NULL;
	char dir[] = "/tmp/ike_crypto_keyXXXXXX", priv[128], pub[128];
	cr_assert(mkdtemp(dir) != NULL);
	snprintf(priv, sizeof priv, "%s/key.pem", dir);
	snprintf(pub, sizeof pub, "%s/key.pub", dir);
	mode_t old = umask(0); /* a permissive umask must not widen the mode */
	cr_assert(eq(int, ike_key_generate(&k, NULL, 2048), IKE_OK));
	cr_assert(eq(u32, ike_key_bits(k), 2048));
	cr_assert(ike_key_is_private(k));
	cr_assert(eq(int, ike_key_write_private_file(k, NULL, priv), IKE_OK));
	cr_assert(eq(int, ike_key_write_public_file(k, pub), IKE_OK));
	umask(old);
	struct stat st;
	cr_assert(eq(int, stat(priv, &st), 0));
	cr_assert(eq(int, (int)(st.st_mode & 0777), 0600));
	cr_assert(eq(int, stat(pub, &st), 0));
	cr_assert(eq(int, (int)(st.st_mode & 0777), 0644));
	/* The file is never overwritten. */
	cr_assert(eq(int, ike_key_write_private_file(k, NULL, priv), IKE_ERR_EXISTS));
	cr_assert(eq(int, ike_key_load_file(&r, NULL, priv), IKE_OK));
	cr_assert(ike_key_is_private(r));
	cr_assert(ike_key_public_eq(k, r));
	ike_key_free(r);
	cr_assert(eq(int, ike_key_load_file(&r, NULL, pub), IKE_OK));
	cr_assert(not(ike_key_is_private(r)));
	cr_assert(ike_key_public_eq(k, r));
	ike_key_free(r);
	/* A public key cannot be written as a private one. */
	r = NULL;
	cr_assert(eq(int, ike_key_public_copy(k, &r), IKE_OK));
	char priv2[160];
	snprintf(priv2, sizeof priv2, "%s/nope.pem", dir);
	cr_assert(eq(int, ike_key_write_private_file(r, NULL, priv2), IKE_ERR_INVAL));
	cr_assert(eq(int, access(priv2, F_OK), -1));
	ike_key_free(r);
	ike_key_free(k);
	unlink(priv);
	unlink(pub);
	rmdir(dir);
	cr_assert(eq(int, ike_key_load_file(&r, NULL, priv), IKE_ERR_IO));
	cr_assert(eq(int, errno, ENOENT));
}

Test(ike_crypto_key, hex_helpers)
{
	uint8_t b[20], out[20];
	char text[41];
	size_t n;
	for (int i = 0; i < 20; i++)
		b[i] = (uint8_t)(i * 17);
	ike_keyid_format(b, text);
	cr_assert(eq(str, text, "00112233445566778899aabbccddeeff10213243"));
	cr_assert(eq(int, ike_keyid_parse(text, out), IKE_OK));
	cr_assert(eq(u8[20], out, b));
	cr_assert(eq(int, ike_keyid_parse("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:10:21:32:43", out),
	             IKE_OK));
	cr_assert(eq(u8[20], out, b));
	cr_assert(eq(int, ike_keyid_parse("00112233445566778899aabbccddeeff001122", out), IKE_ERR_MALFORMED));
	cr_assert(
	    eq(int, ike_keyid_parse("00112233445566778899aabbccddeeff0011223g", out), IKE_ERR_MALFORMED));
	cr_assert(
	    eq(int, ike_keyid_parse("00112233445566778899aabbccddeeff001122334", out), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_keyid_parse("00:1122", out), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_hex_decode("0a0b", 4, out, 1, &n), IKE_ERR_NOBUF));
	cr_assert(eq(int, ike_hex_decode("", 0, out, 1, &n), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_hex_decode("0 ", 2, out, 1, &n), IKE_ERR_MALFORMED));
}

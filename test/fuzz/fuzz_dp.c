/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the data plane's inbound path (medcli/dp): dp_esp_input
 * with a CHILD_SA installed on a socketpair "TUN device". The first input byte
 * picks the mode: even = the rest is fed as a raw ESP packet (SPI lookup, length
 * and integrity checks); odd = the rest is sealed as an inner packet by an
 * outbound SA with the peer's keys first, so arbitrary inner packets reach the
 * checks after decryption (IP header parsing, the traffic-selector check, the
 * write to the device). Whatever comes out of the device is drained.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp.h"
#include "dp_int.h"
#include "ike/esp.h"
#include "ike/iana.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int dp__new_fd(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, int fd, dp **out);

static uv_loop_t loop;
static dp *d;
static int tun[2];
static ike_esp_sa *peer_out;

static int no_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	(void)user;
	(void)path;
	(void)pkt;
	(void)len;
	return 0;
}

static void setup(void)
{
	dp_cfg cfg = {DP_BACKEND_TUN, NULL, 0, 0};
	ike_child_info c;
	ike_esp_cfg e;

	if (uv_loop_init(&loop) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, tun) ||
	    dp__new_fd(&loop, &cfg, no_send, NULL, tun[0], &d) != IKE_OK)
		abort();
	memset(&c, 0, sizeof c);
	c.spi_in = 0x1001;
	c.spi_out = 0x2002;
	c.encr = IKE_ENCR_AES_GCM_16;
	c.encr_keylen = 128;
	c.enc_key_len = 20;
	memset(c.enc_in, 0xA1, 20);
	memset(c.enc_out, 0xB2, 20);
	c.local_ts.n = c.remote_ts.n = 1;
	if (ike_tsel_parse(&c.local_ts.ts[0], "10.91.0.0/24") != IKE_OK ||
	    ike_tsel_parse(&c.remote_ts.ts[0], "10.92.0.0/16") != IKE_OK || dp_child_add(d, &c) != IKE_OK)
		abort();
	memset(&e, 0, sizeof e);
	e.spi = 0x1001;
	e.encr = IKE_ENCR_AES_GCM_16;
	e.encr_key = (ike_slice){c.enc_in, 20};
	if (ike_esp_sa_new(&peer_out, &e, IKE_ESP_OUT, NULL) != IKE_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	ike_path path = {0};
	size_t len;

	if (!d)
		setup();
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		dp_esp_input(d, &path, data + 1, size - 1);
	} else if (size - 1 <= 65535) {
		size_t head = ike_esp_headroom(peer_out);
		memcpy(buf + head, data + 1, size - 1);
		/* seal refuses what does not start like IPv4/IPv6: then feed it raw */
		if (ike_esp_seal(peer_out, buf, sizeof buf, size - 1, &len) == IKE_OK)
			dp_esp_input(d, &path, buf, len);
		else
			dp_esp_input(d, &path, data + 1, size - 1);
	}
	while (read(tun[1], buf, sizeof buf) > 0)
		;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The shared command line of medweb and medweb.fcgi. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "web/app.h"

Test(web_cli, parses_the_scripting_options)
{
	char *argv[] = {"medweb",
	                "--role",
	                "client",
	                "--dir",
	                "/tmp/x",
	                "--listen",
	                "::1",
	                "--port",
	                "9000",
	                "--host",
	                "a.example,b.example",
	                "--trust-proxy",
	                "--init-password",
	                NULL};
	web_cli cli;

	cr_assert(eq(int, web_cli_parse(&cli, 13, argv), IKE_OK));
	cr_assert(eq(int, cli.opts.role, WEB_ROLE_CLIENT));
	cr_assert(eq(str, (char *)cli.opts.dir, "/tmp/x"));
	cr_assert(eq(str, (char *)cli.listen, "::1"));
	cr_assert(eq(u32, cli.port, 9000));
	cr_assert(eq(str, (char *)cli.opts.allowed_hosts, "a.example,b.example"));
	cr_assert(cli.opts.trust_proxy);
	cr_assert(cli.init_password);
}

Test(web_cli, defaults_to_loopback_8080)
{
	char *argv[] = {"medweb", "--role", "server", "--dir", "/tmp/x", NULL};
	web_cli cli;

	cr_assert(eq(int, web_cli_parse(&cli, 5, argv), IKE_OK));
	cr_assert(eq(str, (char *)cli.listen, "127.0.0.1"));
	cr_assert(eq(u32, cli.port, 8080));
	cr_assert(eq(int, cli.opts.role, WEB_ROLE_SERVER));
	cr_assert(not(cli.opts.trust_proxy));
}

Test(web_cli, refuses_bad_usage)
{
	char *no_dir[] = {"medweb", "--role", "server", NULL};
	char *bad_role[] = {"medweb", "--role", "both", "--dir", "/tmp/x", NULL};
	char *bad_port[] = {"medweb", "--dir", "/tmp/x", "--port", "70000", NULL};
	char *no_value[] = {"medweb", "--dir", NULL};
	char *unknown[] = {"medweb", "--dir", "/tmp/x", "--frobnicate", NULL};
	web_cli cli;

	cr_assert(eq(int, web_cli_parse(&cli, 3, no_dir), IKE_ERR_INVAL));
	cr_assert(eq(int, web_cli_parse(&cli, 5, bad_role), IKE_ERR_INVAL));
	cr_assert(eq(int, web_cli_parse(&cli, 5, bad_port), IKE_ERR_INVAL));
	cr_assert(eq(int, web_cli_parse(&cli, 2, no_value), IKE_ERR_INVAL));
	cr_assert(eq(int, web_cli_parse(&cli, 4, unknown), IKE_ERR_INVAL));
}

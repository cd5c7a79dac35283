// test/web/e2e.mjs - end-to-end tests of both web managers in a real browser, for each
// front end: medweb (libmicrohttpd) and medweb.fcgi behind lighttpd (mod_fastcgi).
// Prints "ok N - name" / "not ok N - name" per test; exit status 1 on any failure.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.join(process.env.BUILD_DIR, 'bin');
// Screenshots for docs/img only when asked (SCREENSHOTS=1): the keys differ on every run.
const SHOTS = process.env.SCREENSHOTS === '1' ? path.join(ROOT, 'docs/img') : null;
const CLIENT_PASSWORD = 'device password 42';
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), `medweb-e2e-${process.pid}-`));
const children = [];
let n = 0, failed = 0;

const namespaces = [];
function cleanup() {
	for (const c of children) { try { c.kill('SIGTERM'); } catch (e) { /* gone */ } }
	for (const n of namespaces) { try { execFileSync('ip', ['netns', 'del', n], { stdio: 'pipe' }); } catch (e) { /* gone */ } }
	if (process.env.KEEP_TMP) console.log(`# kept ${TMP}`);
	else fs.rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));

function report(ok, name, err) {
	n++;
	if (ok) console.log(`ok ${n} - ${name}`);
	else {
		failed++;
		console.log(`not ok ${n} - ${name}`);
		console.log(`# ${String(err && err.stack || err).split('\n').slice(0, 6).join('\n# ')}`);
	}
}

async function test(name, fn) {
	try {
		await fn();
		report(true, name);
	} catch (e) {
		report(false, name, e);
	}
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }
function eq(a, b, msg) { if (a !== b) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`); }

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
		s.on('error', reject);
	});
}

async function waitHttp(url, ms = 10000) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		try {
			const r = await fetch(url);
			if (r.status < 500) return;
		} catch (e) { /* not yet */ }
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`${url} did not come up`);
}

function start(cmd, args, env) {
	const log = fs.openSync(path.join(TMP, `${path.basename(cmd)}-${children.length}.log`), 'w');
	const c = spawn(cmd, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
	children.push(c);
	return c;
}

function setClientPassword(dir) {
	execFileSync(path.join(BIN, 'medweb'), ['--role', 'client', '--dir', dir, '--init-password'],
		{ env: { ...process.env, MEDWEB_PASSWORD: CLIENT_PASSWORD }, stdio: 'pipe' });
}

// Starts the two managers with the given front end; returns their base URLs.
async function startManagers(frontend) {
	const srvDir = path.join(TMP, `${frontend}-srv`), cliDir = path.join(TMP, `${frontend}-cli`);
	fs.mkdirSync(srvDir, { mode: 0o700 });
	fs.mkdirSync(cliDir, { mode: 0o700 });
	setClientPassword(cliDir);
	const urls = {};
	for (const [role, dir] of [['server', srvDir], ['client', cliDir]]) {
		const port = await freePort();
		if (frontend === 'mhd') {
			start(path.join(BIN, 'medweb'), ['--role', role, '--dir', dir, '--listen', '127.0.0.1', '--port', String(port)]);
		} else {
			// Both ways lighttpd runs a FastCGI program: it spawns medweb.fcgi for the server manager,
			// and connects to a medweb.fcgi listening on its own socket for the client manager.
			const sock = path.join(TMP, `fcgi-${role}.sock`);
			const spawnIt = role === 'server';
			if (!spawnIt) {
				start(path.join(BIN, 'medweb.fcgi'), ['--role', role, '--dir', dir, '--socket', sock]);
				const end = Date.now() + 5000;
				while (!fs.existsSync(sock) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
			}
			const conf = path.join(TMP, `lighttpd-${role}.conf`);
			fs.writeFileSync(conf, [
				'server.modules = ("mod_fastcgi")',
				`server.document-root = "${dir}"`,
				'server.bind = "127.0.0.1"',
				`server.port = ${port}`,
				`server.errorlog = "${path.join(TMP, `lighttpd-${role}.err`)}"`,
				`server.pid-file = "${path.join(TMP, `lighttpd-${role}.pid`)}"`,
				'fastcgi.server = ("/" => ((',
				`  "socket" => "${sock}",`,
				spawnIt ? `  "bin-path" => "${path.join(BIN, 'medweb.fcgi')} --role ${role} --dir ${dir}", "max-procs" => 1,` : '',
				'  "check-local" => "disable", "fix-root-scriptname" => "enable"',
				')))',
				'',
			].join('\n'));
			start('lighttpd', ['-D', '-f', conf]);
		}
		urls[role] = `http://127.0.0.1:${port}`;
		await waitHttp(`${urls[role]}/api/session`);
	}
	return { ...urls, srvDir, cliDir };
}

// A stand-in for a daemon's control socket (docs/web.md): answers each JSON line with
// answer(request). Used until medsrv and medcli exist; the real daemons replace it.
function fakeDaemon(sockPath, answer) {
	const seen = [];
	const srv = net.createServer((conn) => {
		let buf = '';
		conn.on('data', (d) => {
			buf += d;
			const nl = buf.indexOf('\n');
			if (nl < 0) return;
			const req = JSON.parse(buf.slice(0, nl));
			seen.push(req);
			conn.end(`${JSON.stringify(answer(req))}\n`);
		});
	});
	return new Promise((resolve) => srv.listen(sockPath, () => resolve({ seen, close: () => srv.close() })));
}

function pkiKeyid(pem) {
	const f = path.join(TMP, `key-${Date.now()}.pem`);
	fs.writeFileSync(f, pem);
	const out = execFileSync('pki', ['--keyid', '--type', 'pub', '--id', 'spk', '--in', f],
		{ stdio: ['ignore', 'pipe', 'ignore'] }).toString();
	const m = out.match(/([0-9a-f]{2}(?::[0-9a-f]{2}){19})/);
	assert(m, `pki printed no KEY_ID: ${out}`);
	return m[1];
}

function weakKeyPem() {
	const key = execFileSync('openssl', ['genrsa', '1024'], { stdio: ['ignore', 'pipe', 'ignore'] });
	return execFileSync('openssl', ['rsa', '-pubout'], { input: key, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
}

async function shot(page, name) {
	if (!SHOTS) return;
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

async function signup(page, base, login, password) {
	await page.goto(`${base}/`);
	await page.fill('#signup-login', login);
	await page.fill('#signup-password', password);
	await page.click('#signup-form button[type=submit]');
	await page.waitForSelector('#app:not([hidden])');
}

async function fieldError(page, form, field) {
	const loc = page.locator(`${form} .field-error[data-for="${field}"]`);
	await loc.filter({ hasText: /\S/ }).waitFor({ timeout: 5000 });
	return (await loc.textContent()).trim();
}

async function runFrontend(browser, frontend, shots) {
	let m;
	const tag = `[${frontend}]`;
	try {
		m = await startManagers(frontend);
	} catch (e) {
		report(false, `${tag} start the managers`, e);
		return;
	}
	const alice = await browser.newContext();
	const bob = await browser.newContext();
	const device = await browser.newContext();
	const ap = await alice.newPage(), bp = await bob.newPage(), dp = await device.newPage();
	let keyPem = null, keyId = null, peerId = null;

	await test(`${tag} server manager: open an account, log out, log in with the keyboard`, async () => {
		await ap.goto(`${m.server}/`);
		await ap.waitForSelector('#auth:not([hidden])');
		if (shots) await shot(ap, 'server-login.png');
		await signup(ap, m.server, 'alice', 'alice password 1');
		eq(await ap.textContent('#who-name'), 'alice', 'logged-in name');
		await ap.click('#logout');
		await ap.waitForSelector('#auth:not([hidden])');
		// Keyboard only: the login field has the focus; Tab to the password, Enter submits.
		await ap.waitForFunction(() => document.activeElement && document.activeElement.id === 'login-login');
		await ap.keyboard.type('alice');
		await ap.keyboard.press('Tab');
		await ap.keyboard.type('alice password 1');
		await ap.keyboard.press('Enter');
		await ap.waitForSelector('#app:not([hidden])');
		assert(await ap.isVisible('#peers-empty'), 'a new account has no peers');
	});

	await test(`${tag} sign up with a short password shows the error next to the password`, async () => {
		const p = await bob.newPage();
		await p.goto(`${m.server}/`);
		await p.fill('#signup-login', 'shorty');
		await p.fill('#signup-password', 'short');
		await p.click('#signup-form button[type=submit]');
		const msg = await fieldError(p, '#signup-form', 'password');
		assert(/too short/i.test(msg), `message: ${msg}`);
		await p.close();
	});

	await test(`${tag} client manager: log in and generate the device key`, async () => {
		await dp.goto(`${m.client}/`);
		await dp.waitForSelector('#auth:not([hidden])');
		if (shots) await shot(dp, 'client-login.png');
		await dp.fill('#login-password', 'wrong password!');
		await dp.click('#login-form button[type=submit]');
		const msg = await fieldError(dp, '#login-form', 'password');
		assert(/wrong password/i.test(msg), `wrong password message: ${msg}`);
		await dp.fill('#login-password', CLIENT_PASSWORD);
		await dp.click('#login-form button[type=submit]');
		await dp.waitForSelector('#app:not([hidden])');
		assert(await dp.isVisible('#key-none'), 'no key before generating');
		await dp.click('#key-generate');
		await dp.waitForSelector('#key-show:not([hidden])');
		keyId = (await dp.textContent('#key-id')).trim();
		keyPem = (await dp.textContent('#key-pem')).trim();
		assert(/^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/.test(keyId), `KEY_ID format: ${keyId}`);
		assert(keyPem.startsWith('-----BEGIN PUBLIC KEY-----'), 'public key PEM shown');
		assert(!(await dp.content()).includes('PRIVATE KEY'), 'the private key is never shown');
		const st = fs.statSync(path.join(m.cliDir, 'medcli.key'));
		eq(st.mode & 0o777, 0o600, 'private key file mode');
		eq(pkiKeyid(keyPem), keyId, 'pki --keyid of the shown key');
	});

	await test(`${tag} client manager: replacing the key asks for confirmation`, async () => {
		await dp.click('#key-generate');
		await dp.waitForSelector('#key-confirm:not([hidden])');
		await dp.click('#key-replace-no');
		eq((await dp.textContent('#key-id')).trim(), keyId, 'key kept after "keep"');
	});

	await test(`${tag} client manager: bad tunnel address shows the error next to the field`, async () => {
		await dp.fill('#peer-alias', 'office');
		await dp.fill('#peer-peer', keyId);
		await dp.fill('#peer-local', '10.9.0.300/32');
		await dp.fill('#peer-remote', '10.9.0.2/32');
		await dp.click('#peer-form button[type=submit]');
		const msg = await fieldError(dp, '#peer-form', 'local_ts');
		assert(/CIDR/.test(msg), `message: ${msg}`);
		eq(await dp.inputValue('#peer-start'), 'manual', 'the start action defaults to manual');
		await dp.fill('#peer-local', '10.9.0.1/32');
		await dp.click('#peer-form button[type=submit]');
		await dp.waitForSelector('#peers-body tr[data-alias="office"]');
		const listed = await dp.evaluate(async () => (await fetch('/api/peers')).json());
		eq(listed.peers[0].start, 'manual', 'stored start action');
		if (shots) await shot(dp, 'client-manager.png');
	});

	await test(`${tag} server manager: paste the client's key, same KEY_ID on both pages`, async () => {
		await ap.fill('#add-alias', 'home-box');
		await ap.fill('#add-pubkey', keyPem);
		await ap.click('#add-form button[type=submit]');
		const row = ap.locator('#peers-body tr[data-alias="home-box"]');
		await row.waitFor();
		eq((await row.locator('code.keyid').textContent()).trim(), keyId, 'KEY_ID on the server page');
		assert(/offline/.test(await row.locator('.status').textContent()), 'shown offline');
		assert(/not running/.test(await ap.textContent('#srv-state')), 'says medsrv is not running');
		const r = await ap.evaluate(async () => (await fetch('/api/peers')).json());
		peerId = r.peers[0].id;
		if (shots) await shot(ap, 'server-peers.png');
	});

	await test(`${tag} server manager: bad, weak and duplicate keys are refused next to the key field`, async () => {
		await ap.fill('#add-alias', 'junk');
		await ap.fill('#add-pubkey', 'hello, I am not a key');
		await ap.click('#add-form button[type=submit]');
		assert(/not a valid public key/.test(await fieldError(ap, '#add-form', 'pubkey')), 'bad PEM message');
		await ap.fill('#add-pubkey', weakKeyPem());
		await ap.click('#add-form button[type=submit]');
		await ap.locator('#add-form .field-error[data-for="pubkey"]', { hasText: /2048/ }).waitFor();
		if (shots) await shot(ap, 'server-add-error.png');
		await ap.fill('#add-pubkey', keyPem);
		await ap.click('#add-form button[type=submit]');
		await ap.locator('#add-form .field-error[data-for="pubkey"]', { hasText: /already registered/ }).waitFor();
		eq(await ap.locator('#peers-body tr').count(), 1, 'still one peer');
	});

	await test(`${tag} oversized, malformed and misrouted requests get clear JSON errors`, async () => {
		const r = await ap.evaluate(async () => {
			const s = await (await fetch('/api/session')).json();
			const h = { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' };
			const out = {};
			const big = await fetch('/api/peers', { method: 'POST', headers: h, body: `{"alias":"${'x'.repeat(20000)}"}` });
			out.big = [big.status, (await big.json()).error];
			const bad = await fetch('/api/peers', { method: 'POST', headers: h, body: '{"alias": ' });
			out.bad = [bad.status, (await bad.json()).error];
			const nf = await fetch('/api/nothing-here');
			out.nf = [nf.status, (await nf.json()).error];
			const na = await fetch('/api/peers', { method: 'PATCH', headers: h, body: '{}' });
			out.na = [na.status, na.headers.get('Allow')];
			out.count = (await (await fetch('/api/peers')).json()).peers.length;
			return out;
		});
		eq(r.big[0], 413, 'oversized body');
		assert(/too large/.test(r.big[1]), r.big[1]);
		eq(r.bad[0], 400, 'malformed JSON');
		assert(/not valid JSON/.test(r.bad[1]), r.bad[1]);
		eq(r.nf[0], 404, 'unknown route');
		eq(r.na[0], 405, 'wrong method');
		eq(r.na[1], 'GET, HEAD, POST', 'Allow header');
		eq(r.count, 1, 'nothing changed');
	});

	await test(`${tag} another user cannot see or touch alice's peer`, async () => {
		await signup(bp, m.server, 'bob', 'bob password 12');
		await bp.waitForSelector('#peers-empty:not([hidden])');
		eq(await bp.locator('#peers-body tr').count(), 0, 'bob sees no peers');
		const del = await bp.evaluate(async (id) => {
			const s = await (await fetch('/api/session')).json();
			const r = await fetch(`/api/peers/${id}`, { method: 'DELETE', headers: { 'X-CSRF-Token': s.csrf } });
			return { status: r.status, body: await r.json() };
		}, peerId);
		eq(del.status, 404, "bob deleting alice's peer");
		const ren = await bp.evaluate(async (id) => {
			const s = await (await fetch('/api/session')).json();
			const r = await fetch(`/api/peers/${id}`, {
				method: 'PUT', headers: { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' },
				body: JSON.stringify({ alias: 'stolen' }),
			});
			return r.status;
		}, peerId);
		eq(ren, 404, "bob renaming alice's peer");
		await ap.reload();
		await ap.locator('#peers-body tr[data-alias="home-box"]').waitFor();
	});

	await test(`${tag} a forged cross-site POST is refused and changes nothing`, async () => {
		const evilPort = await freePort();
		const evil = http.createServer((req, res) => {
			res.setHeader('Content-Type', 'text/html');
			res.end(`<!doctype html><form id="f" method="POST" action="${m.server}/api/peers"
				enctype="application/x-www-form-urlencoded">
				<input name="alias" value="evil"><input name="pubkey" value="x"></form>
				<script>document.getElementById('f').submit()</script>`);
		});
		await new Promise((r) => evil.listen(evilPort, '127.0.0.1', r));
		try {
			const p = await alice.newPage();
			const answer = p.waitForResponse((r) => r.url() === `${m.server}/api/peers` && r.request().method() === 'POST');
			await p.goto(`http://127.0.0.1:${evilPort}/`);
			const r = await answer;
			eq(r.status(), 403, 'forged POST status');
			assert(/Refused/.test(await r.text()), 'refusal message');
			await p.close();
		} finally {
			evil.close();
		}
		const list = await ap.evaluate(async () => (await fetch('/api/peers')).json());
		eq(list.peers.length, 1, 'no peer was added');
		eq(list.peers[0].alias, 'home-box', 'alias unchanged');
	});

	await test(`${tag} server manager: shows the peer online from medsrv's control socket (fake medsrv)`, async () => {
		const hex = keyId.replace(/:/g, '');
		const d = await fakeDaemon(path.join(m.srvDir, 'medsrv.ctl'), () => ({
			peers: [{ keyid: hex, alias: 'home-box', online: true, endpoint: '198.51.100.20:4500', since: 1795514463 },
				{ keyid: '00'.repeat(20), alias: 'someone-else', online: true, endpoint: '198.51.100.99:4500', since: 1 }],
		}));
		try {
			await ap.reload();
			const row = ap.locator('#peers-body tr[data-alias="home-box"]');
			await row.locator('.badge.on', { hasText: 'online from 198.51.100.20:4500' }).waitFor();
			assert(await ap.isHidden('#srv-state'), 'no "not running" notice');
			eq(await ap.locator('#peers-body tr').count(), 1, "only alice's own peer is listed");
			eq(d.seen[0].cmd, 'status', 'request sent to medsrv');
			if (shots) await shot(ap, 'server-online.png');
		} finally {
			d.close();
		}
	});

	await test(`${tag} real daemons: medcli with the manager's key registers at medsrv, both pages show it`, async () => {
		// medsrv and medcli run in two network namespaces joined by a veth pair; the
		// managers reach them through the control sockets in their state directories.
		const ns = [`e2e${process.pid}${frontend}s`, `e2e${process.pid}${frontend}c`];
		const ip = (...a) => execFileSync('ip', a, { stdio: 'pipe' });
		const daemons = [];
		try {
			for (const n of ns) { ip('netns', 'add', n); namespaces.push(n); ip('-n', n, 'link', 'set', 'lo', 'up'); }
			ip('-n', ns[0], 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[1]);
			ip('-n', ns[0], 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0');
			ip('-n', ns[1], 'addr', 'add', '198.51.100.20/24', 'dev', 'eth0');
			for (const n of ns) ip('-n', n, 'link', 'set', 'eth0', 'up');
			execFileSync(path.join(BIN, 'medsrv'), ['init', '--dir', m.srvDir], { stdio: 'pipe' });
			execFileSync(path.join(BIN, 'medcli'), ['server', 'set', '--dir', m.cliDir, '--address', '198.51.100.10',
				'--pubkey', path.join(m.srvDir, 'medsrv.pub')], { stdio: 'pipe' });
			daemons.push(start('ip', ['netns', 'exec', ns[0], path.join(BIN, 'medsrv'), 'run', '--dir', m.srvDir,
				'--listen', '198.51.100.10', '--workers', '1']));
			daemons.push(start('ip', ['netns', 'exec', ns[1], path.join(BIN, 'medcli'), 'run', '--dir', m.cliDir,
				'--ifname', 'e2etun0']));
			const row = ap.locator('#peers-body tr[data-alias="home-box"]');
			const end = Date.now() + 20000;
			for (;;) {
				await ap.reload();
				if (await row.locator('.badge.on', { hasText: 'online from 198.51.100.20:' }).count()) break;
				assert(Date.now() < end, `the server page never showed home-box online: ${await row.textContent()}`);
				await new Promise((r) => setTimeout(r, 300));
			}
			assert(await ap.isHidden('#srv-state'), 'no "not running" notice with medsrv running');
			await dp.reload();
			await dp.locator('#reg-state', { hasText: 'Registered at the mediation server' }).waitFor({ timeout: 10000 });
			// bob's account still sees nothing of alice's
			await bp.reload();
			eq(await bp.locator('#peers-body tr').count(), 0, "bob sees none of alice's peers");
		} finally {
			await Promise.all(daemons.map((c) => new Promise((resolve) => {
				if (c.exitCode !== null || c.signalCode !== null) return resolve();
				c.on('exit', resolve);
				c.kill('SIGTERM');
			})));
			for (const n of ns) {
				try { ip('netns', 'del', n); } catch (e) { /* not created */ }
			}
		}
	});

	await test(`${tag} client manager: live status and start through medcli's control socket (fake medcli)`, async () => {
		const d = await fakeDaemon(path.join(m.cliDir, 'medcli.ctl'), (req) => (req.cmd === 'status'
			? { registered: true, endpoint: '198.51.100.10:4500',
				connections: [{ alias: 'office', state: 'up', local: '10.9.0.1/32', remote: '10.9.0.2/32',
					path: 'relayed', pair: '10.9.1.2:4500 -> 198.51.100.40:49200', path_local: '10.9.1.2:4500',
					path_remote: '198.51.100.40:49200', relay: '198.51.100.40:49200', rtt_ms: 3,
					direct_error: '2 direct pairs tried, none answered in time', upgrades: 0,
					bytes_in: 1200, bytes_out: 3400 }] }
			: { ok: true }));
		try {
			await dp.reload();
			await dp.locator('#reg-state', { hasText: 'Registered at the mediation server; public endpoint 198.51.100.10:4500' }).waitFor();
			const row = dp.locator('#peers-body tr[data-alias="office"]');
			await row.locator('.badge.on', { hasText: 'up' }).waitFor();
			assert(/1200 B in/.test(await row.textContent()), 'traffic counters shown');
			// the path: relayed through the TURN relay, and why not direct (issue 10)
			const badge = row.locator('.badge.on[data-path="relayed"]');
			await badge.waitFor();
			assert(/relayed via 198\.51\.100\.40:49200/.test(await badge.textContent()), 'relayed path shown');
			const title = await badge.getAttribute('title');
			assert(/direct path: 2 direct pairs tried/.test(title) && /rtt 3 ms/.test(title), `path details: ${title}`);
			await row.locator('button', { hasText: 'Start' }).click();
			await dp.waitForFunction(() => true);
			const end = Date.now() + 5000;
			while (!d.seen.some((q) => q.cmd === 'up') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
			const up = d.seen.find((q) => q.cmd === 'up');
			assert(up && up.peer === 'office', `up request: ${JSON.stringify(d.seen)}`);
			eq(await dp.textContent('#peers-error'), '', 'no error shown');
			if (shots) await shot(dp, 'client-status.png');
		} finally {
			d.close();
		}
	});

	await test(`${tag} rename and delete a peer`, async () => {
		const row = ap.locator('#peers-body tr[data-alias="home-box"]');
		await row.locator('button', { hasText: 'Rename' }).click();
		await ap.fill(`#rename-${peerId}`, 'living-room');
		await ap.keyboard.press('Enter');
		await ap.locator('#peers-body tr[data-alias="living-room"]').waitFor();
		await ap.locator('#peers-body tr[data-alias="living-room"] button', { hasText: 'Delete' }).click();
		await ap.locator('#peers-body tr[data-alias="living-room"] button', { hasText: 'Yes, delete' }).click();
		await ap.waitForSelector('#peers-empty:not([hidden])');
	});

	await alice.close();
	await bob.close();
	await device.close();
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	// Playwright itself gives every launch a fresh temporary --user-data-dir.
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	await runFrontend(browser, 'mhd', true);
	await runFrontend(browser, 'fcgi', false);
} finally {
	await browser.close();
}

// Stops every server with SIGTERM and checks they exit cleanly: no sanitizer report
// (in an ASan build) and no crash in any log.
await test('servers stop on SIGTERM without sanitizer reports', async () => {
	await Promise.all(children.map((c) => new Promise((resolve) => {
		if (c.exitCode !== null || c.signalCode !== null) return resolve();
		const t = setTimeout(() => { c.kill('SIGKILL'); resolve(); }, 5000);
		c.on('exit', () => { clearTimeout(t); resolve(); });
		c.kill('SIGTERM');
	})));
	const bad = [];
	for (const f of fs.readdirSync(TMP)) {
		if (!/\.(log|err)$/.test(f)) continue;
		const text = fs.readFileSync(path.join(TMP, f), 'utf8');
		if (/Sanitizer|runtime error|Segmentation|Aborted/.test(text)) bad.push(`${f}: ${text.slice(0, 400)}`);
	}
	for (const c of children) {
		if (c.signalCode === 'SIGKILL') bad.push(`${c.spawnargs.join(' ')} did not stop on SIGTERM`);
	}
	assert(bad.length === 0, bad.join('\n'));
});
console.log(`${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

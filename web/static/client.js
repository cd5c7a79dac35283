// The mediation client manager page: device key, server, peers, up/down, status.
'use strict';

let status = null; // the last answer of GET /api/status

async function showKey() {
	const r = await api.call('GET', '/api/key');
	if (r.status === 401) return start();
	const key = r.ok ? r.data.key : null;
	$('#key-none').hidden = !!key;
	$('#key-show').hidden = !key;
	$('#key-generate').textContent = key ? 'Replace key…' : 'Generate key';
	$('#key-confirm').hidden = true;
	if (key) {
		$('#key-id').textContent = key.keyid_pretty;
		$('#key-id').dataset.hex = key.keyid;
		$('#key-pem').textContent = key.pem;
		$('#key-bits').textContent = key.bits;
	}
}

async function showServer() {
	const r = await api.call('GET', '/api/server');
	const s = r.ok ? r.data.server : null;
	if (s) {
		$('#srv-address').value = s.address;
		$('#srv-port').value = s.port;
		$('#srv-identity').value = s.keyid_pretty;
	}
}

async function showStatus() {
	const r = await api.call('GET', '/api/status');
	status = r.ok ? r.data : null;
	const running = status && status.daemon === 'running';
	const badge = $('#daemon-badge');
	badge.className = `badge ${running ? 'on' : 'off'}`;
	badge.textContent = running ? 'daemon running' : 'daemon not running';
	const note = $('#daemon-state');
	note.hidden = running;
	note.textContent = status && status.daemon === 'not answering'
		? 'The client daemon does not answer.'
		: 'The client daemon (medcli run) is not running: connections cannot be started.';
	const st = running ? status.status || {} : {};
	$('#reg-state').textContent = running
		? (st.registered ? `Registered at the mediation server; public endpoint ${st.endpoint || '?'}.`
			: 'Not registered at the mediation server.')
		: '';
}

function connState(alias) {
	const conns = status && status.status && Array.isArray(status.status.connections) ? status.status.connections : [];
	return conns.find((c) => c.alias === alias);
}

async function showPeers() {
	const r = await api.call('GET', '/api/peers');
	if (r.status === 401) return start();
	const body = $('#peers-body');
	body.replaceChildren();
	$('#peers-error').textContent = r.ok ? '' : r.data.error;
	const peers = r.ok ? r.data.peers : [];
	$('#peers-empty').hidden = peers.length > 0;
	for (const p of peers) {
		const c = connState(p.alias);
		// the path in use: direct, or through the TURN relay (and why not direct)
		const pathText = c && c.path ? (c.path === 'relayed'
			? `relayed via ${c.relay}` : `direct ${c.path_remote}`) : (c ? c.remote : null);
		const stateText = c ? [c.state, pathText, c.bytes_in !== undefined
			? `${c.bytes_in} B in / ${c.bytes_out} B out` : null].filter(Boolean).join(' · ') : 'down';
		const pathTitle = c && c.path ? [`pair ${c.pair}`, c.rtt_ms ? `rtt ${c.rtt_ms} ms` : null,
			c.direct_error ? `direct path: ${c.direct_error}` : null,
			c.upgrades ? `moved off the relay ${c.upgrades}×` : null].filter(Boolean).join('\n') : '';
		body.append(el('tr', { 'data-alias': p.alias, 'data-keyid': p.keyid },
			el('td', { class: 'alias' }, p.alias),
			el('td', {}, el('code', { class: 'keyid' }, p.keyid_pretty)),
			el('td', { class: 'mono' }, `${p.local_ts} ⇄ ${p.remote_ts}`,
				p.start && p.start !== 'manual' ? el('span', { class: 'badge', title: 'start action' }, p.start) : ''),
			el('td', {}, el('span', { class: `badge ${c && c.state === 'up' ? 'on' : 'off'}`, 'data-path': c && c.path ? c.path : '', title: pathTitle }, stateText)),
			el('td', { class: 'actions' },
				el('button', { type: 'button', class: 'small', onclick: () => peerCmd(p, 'up') }, 'Start'),
				el('button', { type: 'button', class: 'secondary small', onclick: () => peerCmd(p, 'down') }, 'Stop'),
				el('button', { type: 'button', class: 'danger small', onclick: () => peerDelete(p) }, 'Delete'))));
	}
}

async function peerCmd(p, cmd) {
	const r = await api.call('POST', `/api/peers/${p.id}/${cmd}`);
	$('#peers-error').textContent = r.ok ? '' : r.data.error;
	await refresh();
}

async function peerDelete(p) {
	const r = await api.call('DELETE', `/api/peers/${p.id}`);
	$('#peers-error').textContent = r.ok ? '' : r.data.error;
	await showPeers();
}

async function refresh() {
	await showStatus();
	await showPeers();
}

async function start() {
	const r = await api.session();
	if (!r.ok) return;
	const user = r.data.user;
	$('#auth').hidden = !!user;
	$('#app').hidden = !user;
	$('#who').hidden = !user;
	$('#no-password').hidden = r.data.password_set;
	if (user) {
		await showKey();
		await showServer();
		await refresh();
	} else {
		$('#login-password').focus();
	}
}

document.addEventListener('DOMContentLoaded', () => {
	const keyForm = $('#key-form');
	bindForm($('#login-form'), 'POST', '/api/login', (d, f) => { f.reset(); start(); });
	bindForm(keyForm, 'POST', '/api/key', () => { keyForm.elements.confirm.value = ''; showKey(); });
	$('#key-generate').addEventListener('click', (ev) => {
		// Replacing needs a second, explicit step.
		if (!$('#key-show').hidden && keyForm.elements.confirm.value !== 'replace') {
			ev.preventDefault();
			$('#key-confirm').hidden = false;
			$('#key-replace-yes').focus();
		}
	});
	$('#key-replace-yes').addEventListener('click', () => {
		keyForm.elements.confirm.value = 'replace';
		keyForm.requestSubmit();
	});
	$('#key-replace-no').addEventListener('click', () => { $('#key-confirm').hidden = true; });
	$('#copy-keyid').addEventListener('click', (ev) => copyText($('#key-id').textContent, ev.target));
	$('#copy-pem').addEventListener('click', (ev) => copyText($('#key-pem').textContent, ev.target));
	bindForm($('#server-form'), 'PUT', '/api/server', () => {
		$('#srv-saved').textContent = 'Saved.';
		showServer();
	});
	bindForm($('#peer-form'), 'POST', '/api/peers', (d, f) => { f.reset(); showPeers(); });
	$('#logout').addEventListener('click', async () => { await api.call('POST', '/api/logout'); start(); });
	setInterval(() => { if (!$('#app').hidden) refresh(); }, 5000);
	start();
});

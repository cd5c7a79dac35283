// The mediation server manager page: accounts and the user's peers.
'use strict';

async function showPeers() {
	const r = await api.call('GET', '/api/peers');
	if (r.status === 401) return start();
	const body = $('#peers-body');
	body.replaceChildren();
	if (!r.ok) {
		$('#peers-error').textContent = r.data.error;
		return;
	}
	$('#peers-error').textContent = '';
	const state = $('#srv-state');
	state.hidden = r.data.server === 'running';
	state.textContent = r.data.server === 'not running'
		? 'The mediation server (medsrv) is not running: online status is unknown.'
		: 'The mediation server does not answer: online status is unknown.';
	$('#peers-empty').hidden = r.data.peers.length > 0;
	for (const p of r.data.peers) body.append(peerRow(p));
}

function peerRow(p) {
	const status = p.online
		? el('span', { class: 'badge on', title: `since ${fmtTime(p.online.since)}` },
			`online from ${p.online.endpoint || '?'}`)
		: el('span', { class: 'badge off' }, 'offline');
	const nameCell = el('td', { class: 'alias' }, p.alias);
	const row = el('tr', { 'data-keyid': p.keyid, 'data-alias': p.alias },
		nameCell,
		el('td', {}, el('code', { class: 'keyid' }, p.keyid_pretty)),
		el('td', { class: 'status' }, status,
			p.online ? el('div', { class: 'hint' }, `since ${fmtTime(p.online.since)}`) : null),
		el('td', { class: 'actions' },
			el('button', { type: 'button', class: 'secondary small', onclick: () => renameRow(row, nameCell, p) }, 'Rename'),
			el('button', { type: 'button', class: 'danger small', onclick: () => deleteRow(row, p) }, 'Delete')));
	return row;
}

function renameRow(row, cell, p) {
	const form = el('form', { class: 'rename', novalidate: true },
		el('label', { class: 'sr-only', for: `rename-${p.id}` }, 'New name'),
		el('input', { type: 'text', id: `rename-${p.id}`, name: 'alias', value: p.alias }),
		el('p', { class: 'field-error', 'data-for': 'alias', role: 'alert' }),
		el('p', { class: 'field-error', 'data-for': '_form', role: 'alert' }),
		el('button', { type: 'submit', class: 'small' }, 'Save'),
		el('button', { type: 'button', class: 'secondary small', onclick: showPeers }, 'Cancel'));
	bindForm(form, 'PUT', `/api/peers/${p.id}`, showPeers);
	cell.replaceChildren(form);
	form.elements.alias.focus();
}

async function deleteRow(row, p) {
	const cell = $('td.actions', row);
	cell.replaceChildren(
		el('span', {}, `Delete ${p.alias}? `),
		el('button', {
			type: 'button', class: 'danger small', onclick: async () => {
				const r = await api.call('DELETE', `/api/peers/${p.id}`);
				if (!r.ok) $('#peers-error').textContent = r.data.error;
				showPeers();
			},
		}, 'Yes, delete'),
		el('button', { type: 'button', class: 'secondary small', onclick: showPeers }, 'Keep'));
	$('button', cell).focus();
}

async function start() {
	const r = await api.session();
	if (!r.ok) {
		document.body.append(el('p', { class: 'notice warn' }, r.data.error || 'The manager cannot be reached.'));
		return;
	}
	$('#pw-hint').textContent = `At least ${r.data.min_password} characters.`;
	const user = r.data.user;
	$('#auth').hidden = !!user;
	$('#app').hidden = !user;
	$('#who').hidden = !user;
	if (user) {
		$('#who-name').textContent = user;
		await showPeers();
	} else {
		$('#login-login').focus();
	}
}

document.addEventListener('DOMContentLoaded', () => {
	bindForm($('#login-form'), 'POST', '/api/login', (d, f) => { f.reset(); start(); });
	bindForm($('#signup-form'), 'POST', '/api/signup', (d, f) => { f.reset(); start(); });
	$('#add-form').addEventListener('submit', () => { $('#added').hidden = true; });
	bindForm($('#add-form'), 'POST', '/api/peers', (d, f) => {
		f.reset();
		const added = $('#added');
		added.hidden = false;
		added.textContent = `Added ${d.peer.alias} with KEY_ID ${d.peer.keyid_pretty}.`;
		showPeers();
	});
	$('#logout').addEventListener('click', async () => {
		await api.call('POST', '/api/logout');
		$('#added').hidden = true;
		start();
	});
	start();
});

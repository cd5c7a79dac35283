// Shared by both managers: the JSON API client (with the CSRF token header) and
// the form helpers that show each error next to its field.
'use strict';

const api = {
	csrf: null,

	async call(method, url, body) {
		const opts = { method, headers: {}, credentials: 'same-origin' };
		if (method !== 'GET') {
			opts.headers['Content-Type'] = 'application/json';
			opts.headers['X-CSRF-Token'] = api.csrf || '';
			opts.body = JSON.stringify(body || {});
		}
		let res, data;
		try {
			res = await fetch(url, opts);
			data = await res.json();
		} catch (e) {
			return { ok: false, status: 0, data: { error: 'The manager cannot be reached. Is it running?' } };
		}
		return { ok: res.ok, status: res.status, data };
	},

	async session() {
		const r = await api.call('GET', '/api/session');
		if (r.ok) api.csrf = r.data.csrf;
		return r;
	},
};

function $(sel, root) { return (root || document).querySelector(sel); }
function $all(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'text') e.textContent = v;
		else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children) if (c !== null && c !== undefined) e.append(c);
	return e;
}

function clearErrors(form) {
	for (const p of $all('.field-error', form)) p.textContent = '';
	for (const i of $all('[aria-invalid]', form)) i.removeAttribute('aria-invalid');
}

// Shows {error, field} from the API next to the field, or in the form's general slot.
function showError(form, data) {
	const field = data && data.field;
	const msg = (data && data.error) || 'Something went wrong.';
	const slot = (field && $(`.field-error[data-for="${field}"]`, form)) || $('.field-error[data-for="_form"]', form);
	if (slot) slot.textContent = msg;
	const input = field && form.elements[field];
	if (input && input.setAttribute) {
		input.setAttribute('aria-invalid', 'true');
		input.focus();
	}
}

function formData(form) {
	const out = {};
	for (const e of form.elements) {
		if (e.name && (e.type !== 'checkbox' || e.checked)) out[e.name] = e.value;
	}
	return out;
}

// Wires a form to an API call: onDone(data, form) runs after a 2xx answer.
function bindForm(form, method, url, onDone) {
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearErrors(form);
		const button = $('button[type=submit]', form);
		if (button) button.disabled = true;
		const r = await api.call(method, typeof url === 'function' ? url(form) : url, formData(form));
		if (button) button.disabled = false;
		if (r.ok) await onDone(r.data, form);
		else showError(form, r.data);
	});
}

async function copyText(text, button) {
	try {
		await navigator.clipboard.writeText(text);
		button.textContent = 'Copied';
	} catch (e) {
		button.textContent = 'Select and copy';
	}
	setTimeout(() => { button.textContent = button.dataset.label || 'Copy'; }, 1500);
}

function fmtTime(unix) {
	if (!unix) return '';
	const d = new Date(Number(unix) * 1000);
	return isNaN(d) ? String(unix) : d.toLocaleString();
}

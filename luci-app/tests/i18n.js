#!/usr/bin/env node
// Translation tooling for luci-app-floatgw, without a LuCI tree.
//
//   node tests/i18n.js pot            print po/templates/floatgw.pot as it should be
//   node tests/i18n.js wrap IN OUT    wrap a LuCI module as a function so `node --check` can parse it
//
// Strings are taken from _('…') literals in the JavaScript, menu titles in
// menu.d and the ACL description, like LuCI's build/i18n-scan.pl. The Go test
// internal/api/luci_contract_test.go checks the same set independently.
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function walk(dir, out) {
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory())
			walk(p, out);
		else if (e.name.endsWith('.js'))
			out.push(p);
	}
	return out;
}

// readString decodes the JS string literal at src[i] (a quote).
function readString(src, i) {
	const q = src[i];
	let s = '';
	for (let j = i + 1; j < src.length; j++) {
		const c = src[j];
		if (c === q)
			return { value: s, end: j + 1 };
		if (c === '\n' && q !== '`')
			throw new Error('newline in string literal');
		if (c === '\\') {
			const n = src[++j];
			if (n === 'n') s += '\n';
			else if (n === 't') s += '\t';
			else if (n === 'u') { s += String.fromCharCode(parseInt(src.substr(j + 1, 4), 16)); j += 4; }
			else if (n !== '\n') s += n;
			continue;
		}
		s += c;
	}
	throw new Error('unterminated string literal');
}

function lineOf(src, i) {
	return src.slice(0, i).split('\n').length;
}

// extract returns [{ id, line }] for every _('…') in src.
function extract(src) {
	const out = [];
	for (let i = 0; i < src.length;) {
		if (src.startsWith('//', i)) {
			const j = src.indexOf('\n', i);
			i = j < 0 ? src.length : j;
		}
		else if (src.startsWith('/*', i)) {
			i = src.indexOf('*/', i + 2) + 2;
		}
		else if (src[i] === '\'' || src[i] === '"' || src[i] === '`') {
			i = readString(src, i).end;
		}
		else if (src.startsWith('_(', i) && (i === 0 || !/[\w$.]/.test(src[i - 1]))) {
			let j = i + 2;
			while (/\s/.test(src[j]))
				j++;
			if (src[j] !== '\'' && src[j] !== '"')
				throw new Error('_() without a string literal at line ' + lineOf(src, i));
			const s = readString(src, j);
			out.push({ id: s.value, line: lineOf(src, j) });
			i = s.end;
		}
		else {
			i++;
		}
	}
	return out;
}

function jsonLine(text, needle) {
	const i = text.indexOf(needle);
	return i < 0 ? 1 : lineOf(text, i);
}

function collect() {
	const refs = new Map();
	const add = (id, ref) => {
		if (!refs.has(id))
			refs.set(id, []);
		refs.get(id).push(ref);
	};
	const files = walk(path.join(root, 'htdocs'), []).sort();
	for (const f of files) {
		const rel = 'luci-app/' + path.relative(root, f).split(path.sep).join('/');
		for (const e of extract(fs.readFileSync(f, 'utf8')))
			add(e.id, rel + ':' + e.line);
	}
	const menuRel = 'root/usr/share/luci/menu.d/luci-app-floatgw.json';
	const menuText = fs.readFileSync(path.join(root, menuRel), 'utf8');
	for (const n of Object.values(JSON.parse(menuText)))
		if (n.title)
			add(n.title, 'luci-app/' + menuRel + ':' + jsonLine(menuText, '"title": "' + n.title + '"'));
	const aclRel = 'root/usr/share/rpcd/acl.d/luci-app-floatgw.json';
	const aclText = fs.readFileSync(path.join(root, aclRel), 'utf8');
	for (const g of Object.values(JSON.parse(aclText)))
		if (g.description)
			add(g.description, 'luci-app/' + aclRel + ':' + jsonLine(aclText, g.description));
	return refs;
}

function poQuote(s) {
	return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t') + '"';
}

function pot() {
	const refs = collect();
	const ids = Array.from(refs.keys()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	let out = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n';
	for (const id of ids) {
		out += '\n';
		for (const r of refs.get(id))
			out += '#: ' + r + '\n';
		out += 'msgid ' + poQuote(id) + '\nmsgstr ""\n';
	}
	return out;
}

function wrap(inFile, outFile) {
	// luci.js evaluates a module as the body of
	// `function(window, document, L, <required modules…>) { … }`; wrapping it
	// the same way lets node parse the top-level `return`.
	const src = fs.readFileSync(inFile, 'utf8');
	fs.writeFileSync(outFile, '(function(window, document, L) {\n' + src + '\n});\n');
}

const cmd = process.argv[2];
if (cmd === 'pot')
	process.stdout.write(pot());
else if (cmd === 'wrap' && process.argv.length === 5)
	wrap(process.argv[3], process.argv[4]);
else {
	process.stderr.write('usage: i18n.js pot | wrap IN OUT\n');
	process.exit(2);
}

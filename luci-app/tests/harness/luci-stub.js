/*
 * Minimal stand-ins for the parts of LuCI the floatgw views use, so the REAL
 * view files can be rendered outside a router for screenshots. This is not
 * LuCI: modules are loaded the way luci.js loads them (the 'require'
 * pragmas, the module wrapped as a function, the returned class
 * instantiated), but rpc calls are answered from samples.json, which
 * internal/api/harness_samples_test.go checks against the Go reply types.
 *
 * URL parameters: view=status|verify|diagnostics, lang=en|zh_Hans,
 * scenario=<key prefix in samples.json>, act=scan (press a button after render),
 * drop=<method,…> (answer those methods with ubus status 4), readonly=1.
 */
'use strict';

(function() {
	const params = new URLSearchParams(location.search);
	const viewName = params.get('view') || 'status';
	const lang = params.get('lang') || 'en';
	const scenario = params.get('scenario') || '';
	const resources = '../../htdocs/luci-static/resources/';
	let catalog = {};
	let samples = {};
	const rpcCalls = [];
	window.__rpcCalls = rpcCalls;

	/* i18n */
	window._ = function(s) { return catalog[s] || s; };

	String.prototype.format = function() {
		const args = arguments;
		let n = 0;
		return this.replace(/%(%|(\.\d+)?[sdf])/g, function(m, spec, prec) {
			if (spec === '%')
				return '%';
			const v = args[n++];
			if (spec.endsWith('d'))
				return String(Math.floor(+v || 0));
			if (spec.endsWith('f'))
				return prec ? (+v || 0).toFixed(+prec.substr(1)) : String(+v || 0);
			return (v == null) ? '' : String(v);
		});
	};

	/* classes, as in luci.js */
	const Class = Object.assign(function() {}, {
		extend(properties) {
			const Parent = this;
			const C = function() {
				if (typeof this.__init__ == 'function')
					this.__init__.apply(this, arguments);
			};
			C.prototype = Object.create(Parent.prototype);
			for (const k in properties)
				C.prototype[k] = properties[k];
			C.prototype.constructor = C;
			C.extend = Parent.extend;
			C.isSubclass = Parent.isSubclass;
			return C;
		},
		isSubclass(c) { return typeof c == 'function' && c.prototype instanceof this; }
	});

	/* DOM helpers: L.dom and E() */
	const dom = {
		elem(e) { return e != null && typeof e == 'object' && 'nodeType' in e; },
		append(node, children) {
			if (Array.isArray(children)) {
				children.forEach(function(c) { dom.append(node, c); });
				return node.lastChild;
			}
			if (this.elem(children))
				return node.appendChild(children);
			if (children != null && children !== '')
				return node.appendChild(document.createTextNode(String(children)));
			return null;
		},
		content(node, children) {
			while (node.firstChild)
				node.removeChild(node.firstChild);
			return this.append(node, children);
		},
		attr(node, attrs) {
			for (const k in attrs) {
				const v = attrs[k];
				if (v == null)
					continue;
				if (typeof v == 'function')
					node.addEventListener(k, v);
				else
					node.setAttribute(k, typeof v == 'object' ? JSON.stringify(v) : v);
			}
		},
		create(tag, attrs, children) {
			if (attrs != null && (Array.isArray(attrs) || typeof attrs != 'object' || this.elem(attrs)))
				children = attrs, attrs = null;
			const el = Array.isArray(tag) ? document.createDocumentFragment() : document.createElement(tag);
			if (attrs)
				this.attr(el, attrs);
			if (Array.isArray(tag))
				this.append(el, tag);
			else
				this.append(el, children);
			return el;
		}
	};
	window.E = function() { return dom.create.apply(dom, arguments); };

	const notifications = document.getElementById('notifications');

	const builtins = {
		baseclass: Class,
		dom: Object.assign(new (Class.extend({}))(), dom),
		poll: Object.assign(new (Class.extend({}))(), {
			added: [],
			add(fn, interval) { this.added.push({ fn: fn, interval: interval }); return true; }
		}),
		ui: Object.assign(new (Class.extend({}))(), {
			createHandlerFn(ctx, fn) {
				const args = Array.prototype.slice.call(arguments, 2);
				return function(ev) {
					const f = (typeof fn == 'string') ? ctx[fn] : fn;
					return f.apply(ctx, args.concat([ ev ]));
				};
			},
			addNotification(title, node, cls) {
				notifications.appendChild(E('div', { 'class': 'alert-message ' + (cls || '') }, node));
			},
			changes: { apply() { return Promise.resolve(); } }
		}),
		rpc: Object.assign(new (Class.extend({}))(), {
			declare(opts) {
				return function() {
					const a = arguments;
					const args = {};
					(opts.params || []).forEach(function(p, i) {
						if (a[i] !== undefined)
							args[p] = a[i];
					});
					rpcCalls.push({ object: opts.object, method: opts.method, args: args });
					const key = (scenario && samples[scenario + ':' + opts.method]) ? scenario + ':' + opts.method : opts.method;
					/* Like uhttpd-mod-ubus: a non-zero ubus status arrives as the bare number. */
					let reply = 4;
					if ((key in samples) && (params.get('drop') || '').split(',').indexOf(opts.method) < 0)
						reply = JSON.parse(JSON.stringify(samples[key]));
					try {
						if (typeof opts.filter == 'function')
							reply = opts.filter(reply, args);
					}
					catch (e) {
						return Promise.reject(e);
					}
					return Promise.resolve(reply);
				};
			}
		})
	};

	builtins.view = Class.extend({
		__init__() {
			const vp = document.getElementById('view');
			this.__ready = Promise.resolve(this.load()).then(this.render.bind(this)).then(function(node) {
				dom.content(vp, node);
			});
		},
		load() {},
		render() {}
	});

	/* The L object */
	window.L = {
		env: { pollinterval: 5, sessionid: '0'.repeat(32) },
		bind(fn, self) {
			const args = Array.prototype.slice.call(arguments, 2);
			return fn.bind.apply(fn, [ self ].concat(args));
		},
		isObject(v) { return v != null && typeof v == 'object'; },
		hasViewPermission() { return params.get('readonly') ? false : true; },
		dom: builtins.dom,
		Class: Class
	};

	const classes = {};

	/* L.require, following luci.js: pragma scan, wrap, eval, instantiate. */
	function require(name) {
		if (builtins[name] && name !== 'view')
			return Promise.resolve(builtins[name]);
		if (name === 'view')
			return Promise.resolve({ extend: function(p) { return builtins.view.extend(p); } });
		if (name === 'tools.widgets')
			return Promise.resolve({});
		if (classes[name])
			return classes[name];
		const url = resources + name.replace(/\./g, '/') + '.js';
		classes[name] = fetch(url).then(function(res) {
			if (!res.ok)
				throw new Error('HTTP ' + res.status + ' loading ' + url);
			return res.text();
		}).then(function(source) {
			const deps = [], names = [];
			const re = /^\s*'([^']*)';/;
			let rest = source, m;
			while ((m = re.exec(rest)) != null) {
				const p = /^require\s+(\S+)(?:\s+as\s+(\S+))?$/.exec(m[1]);
				if (p) {
					deps.push(require(p[1]));
					names.push(p[2] || p[1].replace(/[^a-zA-Z0-9_]/g, '_'));
				}
				else if (m[1] !== 'use strict') {
					break;
				}
				rest = rest.slice(m[0].length);
			}
			return Promise.all(deps).then(function(instances) {
				const factory = (0, eval)('(function(window, document, L, ' + names.join(', ') + ') {' +
					source + '\n})\n//# sourceURL=' + url);
				const cls = factory.apply(null, [ window, document, window.L ].concat(instances));
				if (name.startsWith('view.'))
					return cls;
				return new cls();
			});
		});
		return classes[name];
	}

	function loadCatalog() {
		if (lang === 'en')
			return Promise.resolve();
		return fetch('../../po/' + lang + '/floatgw.po').then(function(r) { return r.text(); }).then(function(po) {
			const blocks = po.split(/\n\n/);
			blocks.forEach(function(b) {
				const id = /msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)/.exec(b);
				const str = /msgstr ((?:"(?:[^"\\]|\\.)*"\s*)+)/.exec(b);
				if (!id || !str)
					return;
				const join = function(s) { return s.trim().split(/\n/).map(function(l) { return JSON.parse(l); }).join(''); };
				const k = join(id[1]), v = join(str[1]);
				if (k && v)
					catalog[k] = v;
			});
			document.documentElement.lang = 'zh-CN';
		});
	}

	document.querySelectorAll('.tabs li').forEach(function(li) {
		if (li.getAttribute('data-view') === viewName)
			li.classList.add('active');
	});

	Promise.all([
		fetch('samples.json').then(function(r) { return r.json(); }).then(function(s) { samples = s; }),
		loadCatalog()
	]).then(function() {
		document.querySelectorAll('[data-msgid]').forEach(function(el) { el.textContent = _(el.getAttribute('data-msgid')); });
		return require('view.floatgw.' + viewName);
	}).then(function(ViewClass) {
		const v = new ViewClass();
		window.__view = v;
		return v.__ready;
	}).then(function() {
		if (params.get('act') === 'scan' && window.__view)
			return window.__view.handleScan();
	}).then(function() {
		document.body.setAttribute('data-rendered', '1');
	}).catch(function(err) {
		document.getElementById('view').textContent = 'harness error: ' + err + '\n' + (err.stack || '');
		document.body.setAttribute('data-rendered', 'error');
	});
})();

'use strict';
'require view';
'require dom';
'require rpc';
'require ui';
'require floatgw as fgw';

/*
 * Diagnostics: the doctor's findings with their fixes, a VRRP scan of the
 * LAN segment, and log excerpts with the known error lines marked by the
 * daemon (internal/api.DoctorReply, ScanReply, LogsReply). No polling: every
 * section refreshes on its button.
 */

/** @rpc floatgw.doctor */
const callDoctor = rpc.declare({
	object: 'floatgw',
	method: 'doctor',
	filter: fgw.unwrap
});

/** @rpc floatgw.doctor_fix id:string */
const callDoctorFix = rpc.declare({
	object: 'floatgw',
	method: 'doctor_fix',
	params: [ 'id' ],
	filter: fgw.unwrap
});

/** @rpc floatgw.scan seconds:int32 */
const callScan = rpc.declare({
	object: 'floatgw',
	method: 'scan',
	params: [ 'seconds' ],
	filter: fgw.unwrap
});

/** @rpc floatgw.logs lines:int32 */
const callLogs = rpc.declare({
	object: 'floatgw',
	method: 'logs',
	params: [ 'lines' ],
	filter: fgw.unwrap
});

function failed(err) {
	return { error: err };
}

return view.extend({
	load() {
		return Promise.all([
			callDoctor().catch(failed),
			callLogs(200).catch(failed)
		]);
	},

	writable() {
		return L.hasViewPermission ? L.hasViewPermission() !== false : true;
	},

	/* Doctor */

	handleDoctor(ev) {
		return callDoctor().catch(failed).then(L.bind(function(r) {
			dom.content(this.doctorBox, this.renderDoctor(r));
		}, this));
	},

	handleFix(fix, ev) {
		return callDoctorFix(fix ? fix.id : undefined).catch(failed).then(L.bind(function(r) {
			dom.content(this.doctorBox, this.renderDoctor(r));
		}, this));
	},

	renderDoctor(r) {
		if (r.error)
			return fgw.errorBox(r.error);
		const problems = Array.isArray(r.problems) ? r.problems : [];
		const fixed = Array.isArray(r.fixed) ? r.fixed : [];
		const safe = problems.filter(function(p) { return p.fix && p.fix.safe; });
		const onFix = this.writable() ? L.bind(this.handleFix, this) : null;
		return E('div', {}, [
			fixed.length ? E('div', { 'class': 'alert-message notice' }, [
				E('p', {}, E('strong', {}, _('Fixes applied:'))),
				E('ul', {}, fixed.map(function(f) {
					return E('li', {}, [ f.ok ? '✓ ' : '✗ ', fgw.fixText({ id: f.id }), f.detail ? ' — ' + f.detail : '' ]);
				}))
			]) : '',
			fgw.problemList(problems, onFix, _('All checks passed.')),
			(safe.length > 1 && onFix) ? E('p', {}, E('button', {
				'class': 'cbi-button cbi-button-apply',
				'click': ui.createHandlerFn(this, 'handleFix', null)
			}, _('Apply all safe fixes'))) : '',
			Array.isArray(r.checked) && r.checked.length
				? E('p', { 'style': 'opacity:.7;font-size:90%' }, _('Checked: %s').format(r.checked.join(', '))) : ''
		]);
	},

	/* Scan */

	handleScan(ev) {
		const seconds = +this.scanSeconds.value;
		dom.content(this.scanBox, E('p', { 'class': 'spinning' }, _('Listening to VRRP on the LAN for %d seconds…').format(seconds)));
		return callScan(seconds).catch(failed).then(L.bind(function(r) {
			dom.content(this.scanBox, this.renderScan(r));
		}, this));
	},

	renderScan(r) {
		if (r.error)
			return fgw.errorBox(r.error);
		const routers = Array.isArray(r.routers) ? r.routers : [];
		const rows = routers.map(function(s) {
			const who = s.self ? _('this router') : s.peer ? _('the peer') : s.conflict ? _('conflict: same VRID') : _('other');
			return E('tr', { 'class': 'tr' + (s.conflict ? ' fgw-conflict' : ''), 'style': s.conflict ? 'background:#fdecea' : null }, [
				E('td', { 'class': 'td' }, E('strong', {}, String(s.vrid))),
				E('td', { 'class': 'td' }, s.source),
				E('td', { 'class': 'td' }, s.mac || '–'),
				E('td', { 'class': 'td' }, String(s.priority)),
				E('td', { 'class': 'td' }, '%d ms'.format(s.interval_ms)),
				E('td', { 'class': 'td' }, 'v' + s.version),
				E('td', { 'class': 'td' }, Array.isArray(s.vips) ? s.vips.join(', ') : ''),
				E('td', { 'class': 'td' }, s.auth || '–'),
				E('td', { 'class': 'td' }, String(s.adverts)),
				E('td', { 'class': 'td' }, s.conflict ? E('strong', { 'style': 'color:#c62828' }, who) : who)
			]);
		});
		return E('div', {}, [
			routers.length ? E('table', { 'class': 'table fgw-scan' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, _('VRID')),
					E('th', { 'class': 'th' }, _('Source')),
					E('th', { 'class': 'th' }, _('MAC address')),
					E('th', { 'class': 'th' }, _('Priority')),
					E('th', { 'class': 'th' }, _('Interval')),
					E('th', { 'class': 'th' }, _('Version')),
					E('th', { 'class': 'th' }, _('VIPs')),
					E('th', { 'class': 'th' }, _('Auth')),
					E('th', { 'class': 'th' }, _('Adverts')),
					E('th', { 'class': 'th' }, _('Who'))
				])
			].concat(rows)) : E('p', {}, E('em', {}, _('No VRRP adverts heard in %d seconds.').format(r.seconds))),
			r.free_vrid ? E('p', {}, _('VRID %d is free on this segment.').format(r.free_vrid)) : ''
		]);
	},

	/* Logs */

	handleLogs(ev) {
		return callLogs(+this.logLines.value).catch(failed).then(L.bind(function(r) {
			dom.content(this.logBox, this.renderLogs(r));
		}, this));
	},

	renderLogs(r) {
		if (r.error)
			return fgw.errorBox(r.error);
		const lines = Array.isArray(r.lines) ? r.lines : [];
		const onlyMarked = this.logFilter && this.logFilter.checked;
		const shown = lines.filter(function(l) { return !onlyMarked || l.code; });
		const marked = lines.filter(function(l) { return l.code; }).length;
		if (!shown.length)
			return E('p', {}, E('em', {}, onlyMarked ? _('No known error lines.') : _('No log lines.')));
		return E('div', {}, [
			E('p', {}, _('%d lines, %d of them match known errors (marked).').format(lines.length, marked)),
			E('div', { 'class': 'fgw-log', 'style': 'font-family:monospace;font-size:12px;max-height:28em;overflow:auto;border:1px solid #ddd;padding:4px' },
				shown.map(function(l) {
					const text = '%s %s: %s'.format(fgw.time(l.at).substr(5), fgw.word('log_source', l.source), l.text);
					if (!l.code)
						return E('div', { 'style': 'white-space:pre-wrap' }, text);
					return E('div', { 'class': 'fgw-log-marked', 'data-code': l.code,
						'style': 'white-space:pre-wrap;background:#fff3cd;border-left:4px solid #c62828;padding-left:4px;margin:2px 0' }, [
						text,
						E('div', { 'style': 'font-family:sans-serif;color:#c62828' }, '⚑ ' + fgw.problemText(l.code))
					]);
				}))
		]);
	},

	render(data) {
		this.doctorBox = E('div', { 'id': 'fgw-doctor' }, this.renderDoctor(data[0]));
		this.scanBox = E('div', { 'id': 'fgw-scan' }, E('p', {}, E('em', {},
			_('The scan lists every VRRP router heard on the LAN: use it to find VRID conflicts and a free VRID.'))));
		this.scanSeconds = E('select', { 'class': 'cbi-input-select' }, [ 5, 10, 15 ].map(function(s) {
			return E('option', { 'value': s }, _('%d seconds').format(s));
		}));
		this.logLines = E('select', { 'class': 'cbi-input-select' }, [ 100, 200, 500, 1000 ].map(function(n) {
			return E('option', { 'value': n, 'selected': n == 200 ? '' : null }, _('last %d lines').format(n));
		}));
		this.logFilter = E('input', { 'type': 'checkbox', 'id': 'fgw-log-filter', 'change': L.bind(function() {
			return this.handleLogs();
		}, this) });
		this.logBox = E('div', { 'id': 'fgw-logs' }, this.renderLogs(data[1]));

		return E('div', {}, [
			E('h2', {}, _('Diagnostics')),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Doctor')),
				E('div', { 'class': 'cbi-section-descr' },
					_('Checks keepalived, the firewall, the peer\'s adverts, the VIP and the interface, and names what is wrong with evidence and a fix.')),
				E('p', {}, E('button', { 'class': 'cbi-button cbi-button-action', 'click': ui.createHandlerFn(this, 'handleDoctor') }, _('Run checks again'))),
				this.doctorBox
			]),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('VRRP scan of the LAN')),
				E('p', {}, [ this.scanSeconds, ' ',
					E('button', { 'class': 'cbi-button cbi-button-action', 'click': ui.createHandlerFn(this, 'handleScan') }, _('Scan')) ]),
				this.scanBox
			]),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Logs')),
				E('p', {}, [ this.logLines, ' ',
					E('button', { 'class': 'cbi-button cbi-button-action', 'click': ui.createHandlerFn(this, 'handleLogs') }, _('Refresh')),
					' ', this.logFilter, ' ', E('label', { 'for': 'fgw-log-filter' }, _('only known error lines')) ]),
				this.logBox
			])
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});

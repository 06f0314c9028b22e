'use strict';
'require view';
'require dom';
'require poll';
'require rpc';
'require ui';
'require floatgw as fgw';

/*
 * Status: this router and the peer as seen on the wire, the VIP holder,
 * health checks and recent transitions. Everything shown is taken from the
 * daemon's status reply (internal/api.StatusReply); nothing is derived here.
 * One poll refreshes the whole page.
 */

/** @rpc floatgw.status */
const callStatus = rpc.declare({
	object: 'floatgw',
	method: 'status',
	filter: fgw.unwrap
});

/** @rpc floatgw.switch seconds:int32 */
const callSwitch = rpc.declare({
	object: 'floatgw',
	method: 'switch',
	params: [ 'seconds' ],
	filter: fgw.unwrap
});

/** @rpc floatgw.maintenance enable:bool */
const callMaintenance = rpc.declare({
	object: 'floatgw',
	method: 'maintenance',
	params: [ 'enable' ],
	filter: fgw.unwrap
});

function row(label, a, b) {
	return E('tr', { 'class': 'tr' }, [
		E('td', { 'class': 'td left', 'style': 'width:30%' }, E('strong', {}, label)),
		E('td', { 'class': 'td left' }, a == null ? '–' : a),
		(b === undefined) ? '' : E('td', { 'class': 'td left' }, b == null ? '–' : b)
	]);
}

function orDash(v) {
	return (v == null || v === '' || v === 0) ? '–' : String(v);
}

function ms(v) {
	return v > 0 ? '%d ms'.format(v) : '–';
}

return view.extend({
	load() {
		return Promise.all([
			callStatus().catch(function(err) { return { error: err }; })
		]);
	},

	/** Buttons that change something are only active for the ACL's write grant. */
	writable() {
		return L.hasViewPermission ? L.hasViewPermission() !== false : true;
	},

	handleSwitch(ev) {
		return callSwitch(300).then(function(r) {
			ui.addNotification(null, E('p', {}, _('The VIP is handed to the peer until %s.').format(fgw.time(r.until))), 'info');
		}).catch(function(err) {
			ui.addNotification(null, E('p', {}, fgw.errorText(err)), 'danger');
		}).then(L.bind(this.refresh, this));
	},

	handleMaintenance(enable, ev) {
		return callMaintenance(enable).then(function(r) {
			ui.addNotification(null, E('p', {}, r.maintenance
				? _('Maintenance mode is on: this router gives the VIP away and keeps it away, also after a reboot.')
				: _('Maintenance mode is off.')), 'info');
		}).catch(function(err) {
			ui.addNotification(null, E('p', {}, fgw.errorText(err)), 'danger');
		}).then(L.bind(this.refresh, this));
	},

	refresh() {
		return callStatus().then(L.bind(function(st) {
			dom.content(this.box, this.renderStatus(st));
		}, this)).catch(L.bind(function(err) {
			dom.content(this.box, fgw.errorBox(err));
		}, this));
	},

	renderNode(st) {
		const n = st.node || {}, p = st.peer || {}, lan = n.lan || {};
		const reasons = Array.isArray(n.priority_reasons) ? n.priority_reasons : [];
		const prio = E('span', {}, [
			E('strong', {}, String(n.effective_priority != null ? n.effective_priority : '–')),
			(n.base_priority != null && n.base_priority != n.effective_priority)
				? ' ' + _('(base %d)').format(n.base_priority) : ''
		]);

		const table = E('table', { 'class': 'table fgw-nodes' }, [
			E('tr', { 'class': 'tr table-titles' }, [
				E('th', { 'class': 'th' }, ''),
				E('th', { 'class': 'th' }, _('This router') + (n.hostname ? ' (' + n.hostname + ')' : '')),
				E('th', { 'class': 'th' }, _('Peer, as seen on the wire'))
			]),
			row(_('Role'), fgw.word('role', n.role), ''),
			row(_('VRRP state'), fgw.badge('vrrp_state', n.state), p.seen ? fgw.badge('vrrp_state', p.state) : _('No advert seen yet')),
			row(_('Priority'), prio, p.seen ? String(p.priority) : '–'),
			row(_('Address'), lan.address ? '%s (%s)'.format(lan.address, lan.device || '?') : '–', orDash(p.address)),
			row(_('MAC address'), orDash(lan.mac), orDash(p.mac)),
			row(_('Advert interval'), ms(n.advert_int_ms), ms(p.interval_ms)),
			row(_('Last advert received'), '', p.seen ? fgw.ago(p.last_advert_ms) : '–')
		]);

		const out = [ table ];
		if (reasons.length)
			out.push(E('div', { 'class': 'fgw-reasons' }, [
				E('p', {}, E('strong', {}, _('Why the effective priority differs from the base:'))),
				E('ul', {}, reasons.map(function(r) {
					return E('li', {}, [
						r.delta ? E('code', {}, (r.delta > 0 ? '+' : '') + r.delta) : E('code', {}, _('fault')),
						' ', fgw.word('reason', r.reason),
						r.detail ? ' — ' + r.detail : ''
					]);
				}))
			]));
		return out;
	},

	renderVIP(st) {
		const n = st.node || {}, h = st.vip_holder || {};
		let who;
		if (h.self)
			who = E('strong', {}, _('this router'));
		else if (h.peer)
			who = E('strong', {}, _('the peer'));
		else if (h.ip)
			who = E('strong', { 'style': 'color:#c62828' }, _('another host'));
		else
			who = E('strong', { 'style': 'color:#c62828' }, _('nobody answers'));

		return E('table', { 'class': 'table fgw-vip' }, [
			row(_('Virtual IP'), (Array.isArray(n.vips) && n.vips.length) ? n.vips.join(', ') : '–'),
			row(_('Held by'), [ who, h.ip ? ' — %s'.format(h.ip) : '', h.mac ? ' (%s)'.format(h.mac) : '' ]),
			row(_('VRID / VRRP version'), '%s / v%s'.format(orDash(n.vrid), orDash(n.version))),
			row(_('Peers'), (Array.isArray(n.unicast_peers) && n.unicast_peers.length)
				? _('unicast to %s').format(n.unicast_peers.join(', ')) : _('multicast 224.0.0.18')),
			row(_('Preempt'), n.preempt ? _('on') : _('off')),
			row(_('keepalived'), [
				st.keepalived && st.keepalived.running ? _('running') : E('span', { 'style': 'color:#c62828' }, _('not running')),
				', ',
				st.keepalived && st.keepalived.config_ok ? _('configuration valid') : E('span', { 'style': 'color:#c62828' }, _('configuration invalid'))
			]),
			row(_('Maintenance mode'), st.maintenance ? E('strong', {}, _('on')) : _('off'))
		]);
	},

	renderHealth(st) {
		const h = st.health || {};
		const checks = Array.isArray(h.checks) ? h.checks : [];
		const rows = checks.map(function(c) {
			return E('tr', { 'class': 'tr' }, [
				E('td', { 'class': 'td' }, c.name || '–'),
				E('td', { 'class': 'td' }, fgw.word('check_type', c.type)),
				E('td', { 'class': 'td' }, E('code', {}, c.target || '–')),
				E('td', { 'class': 'td' }, c.ok ? fgw.badge('health_state', 'ok')
					: [ fgw.badge('health_state', 'failing'), c.error ? ' ' + c.error : '' ]),
				E('td', { 'class': 'td' }, c.ok ? ms(c.latency_ms) : '–'),
				E('td', { 'class': 'td' }, fgw.time(c.at))
			]);
		});
		return [
			E('p', {}, [ _('Health:'), ' ', fgw.badge('health_state', h.state), ' ',
				_('mode: %s').format(fgw.word('health_mode', h.mode)) ]),
			checks.length ? E('table', { 'class': 'table fgw-checks' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, _('Check')),
					E('th', { 'class': 'th' }, _('Type')),
					E('th', { 'class': 'th' }, _('Target')),
					E('th', { 'class': 'th' }, _('Last result')),
					E('th', { 'class': 'th' }, _('Latency')),
					E('th', { 'class': 'th' }, _('Checked at'))
				])
			].concat(rows)) : E('p', {}, E('em', {}, _('No health checks configured.')))
		];
	},

	renderTransitions(st) {
		const list = Array.isArray(st.transitions) ? st.transitions : [];
		const recent = list.slice(-8).reverse();
		return [
			fgw.transitionsSVG(list, st.now),
			recent.length ? E('table', { 'class': 'table fgw-transition-list' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, _('Time')),
					E('th', { 'class': 'th' }, _('From')),
					E('th', { 'class': 'th' }, _('To')),
					E('th', { 'class': 'th' }, _('Priority')),
					E('th', { 'class': 'th' }, _('Cause'))
				])
			].concat(recent.map(function(t) {
				return E('tr', { 'class': 'tr' }, [
					E('td', { 'class': 'td' }, fgw.time(t.at)),
					E('td', { 'class': 'td' }, fgw.word('vrrp_state', t.from)),
					E('td', { 'class': 'td' }, fgw.badge('vrrp_state', t.to)),
					E('td', { 'class': 'td' }, String(t.priority)),
					E('td', { 'class': 'td' }, fgw.word('transition_by', t.reason))
				]);
			}))) : ''
		];
	},

	renderActions(st) {
		const ro = !this.writable();
		return E('div', { 'class': 'cbi-section fgw-actions' }, [
			E('button', {
				'class': 'cbi-button cbi-button-action',
				'disabled': ro ? '' : null,
				'title': _('Hand the VIP to the peer now, for 5 minutes. Not kept across a reboot.'),
				'click': ui.createHandlerFn(this, 'handleSwitch')
			}, _('Hand VIP to peer')),
			' ',
			E('button', {
				'class': 'cbi-button ' + (st.maintenance ? 'cbi-button-positive' : 'cbi-button-negative'),
				'disabled': ro ? '' : null,
				'click': ui.createHandlerFn(this, 'handleMaintenance', !st.maintenance)
			}, st.maintenance ? _('Leave maintenance mode') : _('Enter maintenance mode')),
			ro ? E('p', {}, E('em', {}, _('Read-only access: buttons that change the router are disabled.'))) : ''
		]);
	},

	renderStatus(st) {
		if (st && st.error)
			return fgw.errorBox(st.error);
		const problems = Array.isArray(st.problems) ? st.problems : [];
		return E('div', {}, [
			problems.length ? E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Problems')),
				fgw.problemList(problems)
			]) : '',
			st.verify_running ? E('div', { 'class': 'alert-message notice' },
				_('A drift verification is running; see the Verify tab.')) : '',
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, _('Routers')) ].concat(this.renderNode(st))),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, _('Virtual IP')), this.renderVIP(st) ]),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, _('Health checks')) ].concat(this.renderHealth(st))),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, _('Recent transitions')) ].concat(this.renderTransitions(st))),
			this.renderActions(st)
		]);
	},

	render(data) {
		this.box = E('div', { 'id': 'fgw-status' }, this.renderStatus(data[0]));
		poll.add(L.bind(this.refresh, this), 5);
		return E('div', {}, [
			E('h2', {}, _('Floating Gateway')),
			E('div', { 'class': 'cbi-map-descr' },
				_('Two routers share one virtual gateway address (VIP). VRRP gives it to the preferred router while it is healthy and to the other one the moment it is not.')),
			this.box
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});

'use strict';
'require baseclass';
'require ui';

/*
 * Shared resource of the Floating Gateway pages.
 *
 * It holds the one table that turns floatgw's stable problem codes (Go:
 * internal/api.Codes) into translated sentences, the labels of every word
 * the daemon sends in an enumerated field (internal/api.Vocabulary,
 * VerifySteps, VerifyTimings, Fixes), and a few DOM helpers: problem boxes,
 * badges and the SVG timelines. It never derives state: it only renders what
 * the daemon reported. luci_contract_test.go checks that every code, word,
 * step, timing and fix id has an entry here.
 */

const problemText = {
	KEEPALIVED_NOT_RUNNING: _('keepalived is not running, so this router takes no part in VRRP.'),
	KEEPALIVED_CONFIG_INVALID: _('keepalived rejects its configuration (keepalived -t).'),
	FIREWALL_NO_VRRP_RULE: _('No firewall rule accepts VRRP (IP protocol 112) from the LAN zone.'),
	ADVERT_SEND_EPERM: _('keepalived cannot send adverts ("send advert error 1 (Operation not permitted)"): a local firewall rule drops outgoing VRRP.'),
	PEER_NO_ADVERTS: _('No VRRP adverts from the peer arrive here. Multicast is blocked (hypervisor vSwitch, IGMP snooping) or the peer is down.'),
	SPLIT_BRAIN: _('Both routers hold the VIP at the same time (split brain).'),
	VRID_CONFLICT: _('Another VRRP router uses the same VRID on this segment ("bogus VRRP packet", "VRID mismatch").'),
	AUTH_MISMATCH: _('The peer uses a different VRRP authentication (type or password).'),
	AUTH_PASS_TOO_LONG: _('The VRRP password is longer than 8 characters; keepalived silently cuts it to 8.'),
	ADVERT_INTERVAL_MISMATCH: _('The peer announces a different advert interval.'),
	NOTIFY_HANDLER_MISSING: _('The keepalived notify handler is missing or not executable, so the VRRP state is unknown.'),
	PEER_UNREACHABLE: _('The unicast peer does not answer.'),
	VIP_UNREACHABLE: _('The VIP is held but does not answer (vrrp_strict or no_accept drops its traffic).'),
	STALE_ARP: _('Clients still send VIP traffic to the old MAC after a move; gratuitous ARP refresh is missing.'),
	VIP_ADDRESS_CONFLICT: _('Another host already answers for the VIP (duplicate address).'),
	INTERFACE_DOWN: _('The LAN interface is down or has no MULTICAST flag.'),
	VIP_OUTSIDE_SUBNET: _('The VIP is outside the LAN subnet.'),
	DNSMASQ_HOTPLUG_PRESENT: _('keepalived-sync\'s 551-dnsmasq hotplug script is installed; it stops dnsmasq on the backup router.'),
	PREEMPT_OFF: _('Preempt is off: the preferred router does not take the VIP back after it recovers.'),
	CONFIG_INVALID: _('/etc/config/floatgw has a value floatgw rejects; nothing was applied.'),
	APPLY_FAILED: _('Writing or reloading one of the settings floatgw manages failed.'),
	VERIFY_BUSY: _('A drift verification is already running.'),
	VERIFY_NO_TAKEOVER: _('The peer did not take over the VIP within the VRRP time budget.'),
	VERIFY_SLOW: _('The VIP moved, but slower than the VRRP timers allow.'),
	VERIFY_NO_FAILBACK: _('The VIP did not come back to the preferred router after the demotion was undone.'),
	VERIFY_ABORTED: _('The verification was aborted; the demotion was undone.'),
	RUN_NOT_FOUND: _('There is no verification run with that id.'),
	CONFIG_NOT_APPLIED: _('keepalived does not run floatgw\'s configuration (its instance or the track files for the verification are missing); apply it first.'),
	VRRP_FAULT: _('This router\'s VRRP instance is in FAULT (interface down, health checks failing or maintenance), so it takes no part in the election.'),
	VIP_NOT_HELD: _('No router holds the VIP: clients have no gateway right now.'),
	VERIFY_CANNOT_OUTRANK: _('Started on the backup, this router cannot raise its priority above the VIP holder\'s (the holder is at 254 or 255). Run the verification on the holder.'),
	VERIFY_SWITCH_FAILED: _('The verification could not demote, promote or pause keepalived on this router.'),
	VERIFY_RESTORE_FAILED: _('The verification could not undo its changes after several attempts; floatgw tries again when it next starts.'),
	VERIFY_TIMEOUT: _('A step of the verification did not finish in time.'),
	NOT_HOLDER: _('This router does not hold the VIP, so there is nothing to hand over.'),
	FIX_NOT_FOUND: _('No current problem offers that fix any more.'),
	FIX_FAILED: _('The fix could not be applied.'),
	INTERNAL: _('Unexpected failure inside the floatgw daemon.'),
	ARG_UNKNOWN: _('The daemon does not know this argument.'),
	ARG_MISSING: _('A required argument is missing.'),
	ARG_TYPE: _('An argument has the wrong type.'),
	ARG_RANGE: _('An argument is out of range.'),
	ARG_ENUM: _('An argument is not one of the accepted values.')
};

const fixText = {
	firewall_vrrp: _('Add the firewall rule "Allow-VRRP" (from LAN, protocol 112) and reload the firewall'),
	keepalived_start: _('Enable and start keepalived'),
	keepalived_render: _('Write the keepalived configuration again and reload keepalived'),
	notify_handler: _('Reinstall the notify handler'),
	garp_refresh: _('Turn on gratuitous ARP refresh'),
	output_vrrp: _('Allow outgoing VRRP (protocol 112) in your own firewall rules.'),
	unicast_peers: _('Allow multicast on the hypervisor\'s virtual switch (PVE: turn the NIC firewall off; ESXi: accept promiscuous mode, MAC changes and forged transmits), or set unicast peers on both routers.'),
	vrid_change: _('Choose a free VRID (see the VRRP scan) and set it on both routers.'),
	auth_pass_shorten: _('Use a VRRP password of at most 8 characters on both routers.'),
	dnsmasq_hotplug: _('Remove /etc/hotplug.d/keepalived/551-dnsmasq or uninstall keepalived-sync.'),
	enable_preempt: _('Turn preempt on if the preferred router should take the VIP back.'),
	firewall_vrrp_manual: _('Allow incoming VRRP (protocol 112) in your own firewall rules.'),
	advert_int: _('Use the same advert interval on both routers.'),
	'peer.firewall.vrrp': _('On the peer router, allow VRRP from the LAN (run the checks there).'),
	'peer.keepalived': _('Start keepalived on the peer router and check that it uses the same VRID.'),
	'peer.reachable': _('Check the peer\'s cable, address and firewall; it must answer on the LAN.'),
	vip: _('Remove the VIP from the other host or choose a free address.'),
	'verify.on_holder': _('Start the verification on the router that holds the VIP.'),
	'daemon.restart': _('Restart floatgw (System → Startup); at start-up it undoes what a verification left behind.'),
	status: _('Look at the Status tab and fix what it shows first.'),
	logs: _('Look at the logs under Diagnostics for the cause.')
};

const words = {
	role: {
		primary: _('Primary'),
		secondary: _('Secondary')
	},
	vrrp_state: {
		INIT: _('Starting'),
		BACKUP: _('Backup'),
		MASTER: _('Master'),
		FAULT: _('Fault'),
		UNKNOWN: _('Unknown'),
		SILENT: _('Silent'),
		STOP: _('Stopped')
	},
	reason: {
		health: _('Health checks failing'),
		maintenance: _('Maintenance mode'),
		verification: _('Drift verification in progress'),
		'switch': _('VIP handed to the peer')
	},
	health_state: {
		ok: _('Healthy'),
		failing: _('Failing'),
		pending: _('Waiting for results'),
		off: _('Off')
	},
	step_status: {
		pending: _('Pending'),
		running: _('Running'),
		ok: _('OK'),
		fail: _('Failed'),
		skip: _('Skipped')
	},
	verdict: {
		pass: _('Passed: clients keep their gateway.'),
		fail: _('Failed: clients would lose their gateway.'),
		aborted: _('Aborted')
	},
	severity: {
		error: _('Error'),
		warning: _('Warning'),
		info: _('Note')
	},
	verify_mode: {
		soft: _('Soft (demote the VIP holder)'),
		hard: _('Hard (also simulate a silent, crashed router)')
	},
	verify_phase: {
		precheck: _('Pre-check'),
		'switch': _('Switch'),
		observe: _('Observe'),
		restore: _('Restore'),
		verdict: _('Verdict'),
		done: _('Done')
	},
	log_source: {
		keepalived: _('keepalived'),
		floatgw: _('floatgw')
	},
	check_type: {
		ping: _('Ping'),
		dns: _('DNS lookup'),
		tcp: _('TCP connect'),
		http: _('HTTP request')
	},
	health_mode: {
		off: _('Off'),
		basic: _('Basic (LAN gateway)'),
		internet: _('Internet')
	},
	apply_action: {
		create: _('create'),
		update: _('update'),
		'delete': _('delete'),
		reload: _('reload'),
		none: _('unchanged')
	},
	transition_by: {
		vrrp: _('VRRP election'),
		health: _('health checks'),
		maintenance: _('maintenance'),
		verification: _('drift verification'),
		'switch': _('manual switch')
	}
};

const stepText = {
	keepalived: _('keepalived runs with floatgw\'s configuration'),
	local_state: _('Local VRRP state and priority'),
	vip_holder: _('Who holds the VIP'),
	peer_adverts: _('Adverts from the peer'),
	firewall: _('Firewall accepts VRRP'),
	vrid_conflict: _('No other router uses our VRID'),
	demote: _('Demote the VIP holder'),
	promote: _('Raise this router\'s priority to take the VIP over'),
	silence_master: _('Silence the VIP holder (simulated crash)'),
	vip_removed: _('VIP removed from the old holder'),
	vip_added: _('VIP added on the new holder'),
	master_advert: _('First MASTER advert from the new holder'),
	garp: _('Gratuitous ARP from the new holder'),
	arp_answer: _('ARP answer from the new MAC'),
	undemote: _('Undo the demotion'),
	unpromote: _('Undo the priority raise'),
	failback: _('VIP back on the preferred router'),
	diagnose: _('Compare with the VRRP budget and diagnose')
};

const timingText = {
	vip_removed: _('VIP removed'),
	vip_added: _('VIP added'),
	master_advert: _('MASTER advert'),
	garp: _('Gratuitous ARP'),
	arp_answer: _('ARP answer'),
	failback: _('Failback')
};

const stateColor = {
	MASTER: '#2e7d32',
	BACKUP: '#1565c0',
	FAULT: '#c62828',
	INIT: '#9e9e9e',
	UNKNOWN: '#9e9e9e',
	SILENT: '#ef6c00',
	STOP: '#9e9e9e'
};

const SVGNS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, children) {
	const el = document.createElementNS(SVGNS, tag);
	for (const k in attrs)
		if (attrs[k] != null)
			el.setAttribute(k, String(attrs[k]));
	(Array.isArray(children) ? children : (children != null ? [ children ] : [])).forEach(function(c) {
		if (c == null)
			return;
		el.appendChild(typeof(c) == 'object' ? c : document.createTextNode(String(c)));
	});
	return el;
}

function niceStep(span, ticks) {
	const raw = span / ticks;
	const mag = Math.pow(10, Math.floor(Math.log10(raw)));
	const f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function pad2(n) {
	return (n < 10 ? '0' : '') + n;
}

return baseclass.extend({
	/** Translated sentence for a problem code; unknown codes show the raw code. */
	problemText(code) {
		return problemText[code] || String(code);
	},

	/** Translated label of a fix, falling back to the daemon's English label. */
	fixText(fix) {
		if (fix == null)
			return '';
		return fixText[fix.id] || fix.label || String(fix.id);
	},

	/** Translated word of one enumerated kind; unknown words show as sent. */
	word(kind, value) {
		const t = words[kind];
		if (value == null || value === '')
			return '–';
		return (t && t[value]) || String(value);
	},

	stepText(name) {
		return stepText[name] || String(name);
	},

	timingText(name) {
		return timingText[name] || String(name);
	},

	/** The keys of every table, for the contract test's mirror in Go. */
	tables() {
		return { problems: problemText, fixes: fixText, words: words, steps: stepText, timings: timingText };
	},

	/**
	 * Turns whatever the rpc layer resolved into a reply object. Used as
	 * rpc.declare filter: without `reject`, LuCI resolves a non-zero ubus
	 * status to the bare number (uhttpd) or to the data the daemon sent
	 * with it (ucode proxy), so both are handled here.
	 */
	unwrap(reply) {
		if (typeof(reply) == 'number') {
			if (reply === 0)
				return {};
			const e = new Error('ubus code ' + reply);
			e.ubusCode = reply;
			throw e;
		}
		if (reply == null || typeof(reply) != 'object')
			throw new Error('invalid reply');
		return reply;
	},

	/** A translated sentence for a failed call. */
	errorText(err) {
		const msg = String((err && err.message) || err);
		const ubus = (err && err.ubusCode) || +((/ubus code (\d+)/.exec(msg) || [])[1] || 0);
		if (/error -32002/.test(msg))
			return _('Access denied: your login lacks the Floating Gateway permission (rpcd ACL luci-app-floatgw).');
		if (/error -32000/.test(msg) || ubus == 4)
			return _('The floatgw service is not running (no ubus object "floatgw"). Start it under System → Startup.');
		if (ubus == 3)
			return _('The floatgw daemon is older than this page. Update both packages.');
		if (ubus == 2)
			return _('The daemon refused the request as invalid.');
		if (ubus == 6)
			return _('Permission denied.');
		if (/error -32003|timed? ?out/i.test(msg) || ubus == 7)
			return _('The floatgw daemon did not answer in time.');
		return _('Request failed: %s').format(msg);
	},

	/** Error box for a failed call. */
	errorBox(err) {
		return E('div', { 'class': 'alert-message error' }, [ E('p', {}, this.errorText(err)) ]);
	},

	badge(kind, value) {
		const color = (kind == 'vrrp_state') ? (stateColor[value] || '#757575')
			: (kind == 'health_state') ? ({ ok: '#2e7d32', failing: '#c62828', pending: '#757575', off: '#757575' }[value] || '#757575')
			: (kind == 'step_status') ? ({ ok: '#2e7d32', fail: '#c62828', running: '#1565c0', pending: '#9e9e9e', skip: '#9e9e9e' }[value] || '#757575')
			: (kind == 'severity') ? ({ error: '#c62828', warning: '#ef6c00', info: '#1565c0' }[value] || '#757575')
			: '#757575';
		return E('span', {
			'class': 'fgw-badge',
			'style': 'display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:90%;background:' + color
		}, this.word(kind, value));
	},

	/**
	 * One problem as a box: translated sentence, field with wanted and seen
	 * values, detail, evidence, and the fix (a button when the fix is safe
	 * and onFix is given; otherwise the instruction as text).
	 */
	problemBox(p, onFix) {
		const sev = p.severity || 'error';
		const cls = (sev == 'error') ? 'error' : (sev == 'warning') ? 'warning' : 'notice';
		const lines = [
			E('p', {}, [ E('strong', {}, this.problemText(p.code)), ' ', E('code', { 'style': 'opacity:.7' }, p.code) ])
		];
		if (p.field || p.want || p.got)
			lines.push(E('p', {}, [
				p.field ? E('code', {}, p.field) : '',
				p.want ? ' ' + _('expected: %s').format(p.want) : '',
				p.got ? ' ' + _('found: %s').format(p.got) : ''
			]));
		if (p.detail)
			lines.push(E('p', {}, p.detail));
		if (Array.isArray(p.evidence) && p.evidence.length)
			lines.push(E('pre', { 'class': 'fgw-evidence', 'style': 'white-space:pre-wrap;font-size:85%;margin:4px 0' }, p.evidence.join('\n')));
		if (p.fix) {
			if (p.fix.safe && typeof(onFix) == 'function')
				lines.push(E('p', {}, E('button', {
					'class': 'cbi-button cbi-button-apply',
					'click': ui.createHandlerFn(this, onFix, p.fix)
				}, _('Fix: %s').format(this.fixText(p.fix)))));
			else
				lines.push(E('p', {}, [ E('em', {}, _('What to do:')), ' ', this.fixText(p.fix) ]));
		}
		return E('div', { 'class': 'alert-message ' + cls, 'data-code': p.code }, lines);
	},

	/** A list of problem boxes, or a short "no problems" line. */
	problemList(problems, onFix, emptyText) {
		const list = Array.isArray(problems) ? problems : [];
		if (!list.length)
			return E('p', { 'class': 'fgw-ok' }, emptyText || _('No problems found.'));
		return E('div', {}, list.map(L.bind(function(p) { return this.problemBox(p, onFix); }, this)));
	},

	/** "3.2 s ago" style age of a duration in milliseconds. */
	ago(ms) {
		if (ms == null || ms < 0)
			return '–';
		if (ms < 1000)
			return _('%d ms ago').format(ms);
		if (ms < 120000)
			return _('%.1f s ago').format(ms / 1000);
		return _('%d min ago').format(Math.floor(ms / 60000));
	},

	/** Local wall-clock time of a Unix timestamp (seconds). */
	time(at) {
		if (!at)
			return '–';
		const d = new Date(at * 1000);
		return '%s-%s-%s %s:%s:%s'.format(d.getFullYear(), pad2(d.getMonth() + 1), pad2(d.getDate()),
			pad2(d.getHours()), pad2(d.getMinutes()), pad2(d.getSeconds()));
	},

	/**
	 * SVG timeline of a verification's measured times: one bar per timing
	 * from the trigger, the VRRP budget as a dashed mark on the same row.
	 */
	timingsSVG(timings) {
		const list = Array.isArray(timings) ? timings : [];
		const W = 1000, left = 190, right = 70, rowH = 28, top = 28;
		const H = top + rowH * Math.max(list.length, 1) + 26;
		let max = 1;
		list.forEach(function(t) { max = Math.max(max, +t.ms || 0, +t.budget_ms || 0); });
		max *= 1.08;
		const step = niceStep(max, 6);
		const x = function(ms) { return left + (W - left - right) * ms / max; };
		const g = [];

		for (let v = 0; v <= max; v += step) {
			g.push(svg('line', { x1: x(v), x2: x(v), y1: top - 6, y2: H - 22, stroke: '#ddd' }));
			g.push(svg('text', { x: x(v), y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#666' },
				(step >= 1000 || v >= 10000) ? '%.1f s'.format(v / 1000) : '%d ms'.format(v)));
		}
		g.push(svg('text', { x: left, y: 14, 'font-size': 11, fill: '#666' }, _('milliseconds after the trigger (failback: after the demotion was undone); dashed line: VRRP budget')));

		if (!list.length)
			g.push(svg('text', { x: left, y: top + 18, 'font-size': 12, fill: '#666' }, _('No times measured yet.')));

		list.forEach(L.bind(function(t, i) {
			const y = top + i * rowH;
			const color = t.ok ? '#2e7d32' : '#c62828';
			g.push(svg('text', { x: left - 8, y: y + 17, 'text-anchor': 'end', 'font-size': 12, fill: '#222' }, this.timingText(t.name)));
			g.push(svg('rect', { x: left, y: y + 6, width: Math.max(2, x(+t.ms || 0) - left), height: 14, rx: 3, fill: color, 'class': 'fgw-bar' }));
			let tx = x(+t.ms || 0) + 5;
			/* keep the figure clear of the budget mark */
			if (t.budget_ms > 0 && x(t.budget_ms) > tx - 4 && x(t.budget_ms) < tx + 52)
				tx = x(t.budget_ms) + 6;
			g.push(svg('text', { x: tx, y: y + 17, 'font-size': 11, fill: color }, '%d ms'.format(t.ms)));
			if (t.budget_ms > 0)
				g.push(svg('line', { x1: x(t.budget_ms), x2: x(t.budget_ms), y1: y + 2, y2: y + 24,
					stroke: '#333', 'stroke-width': 2, 'stroke-dasharray': '3,2', 'class': 'fgw-budget' }));
		}, this));

		return svg('svg', { width: '100%', viewBox: '0 0 %d %d'.format(W, H), role: 'img',
			'class': 'fgw-timeline', style: 'max-width:%dpx;display:block'.format(W) }, g);
	},

	/**
	 * SVG timeline of this router's recent VRRP transitions: a band coloured
	 * by the state the daemon reported, from the oldest transition to now
	 * (router clock), with a marker and label per transition.
	 */
	transitionsSVG(transitions, now) {
		const list = (Array.isArray(transitions) ? transitions : []).filter(function(t) { return t && t.at > 0; });
		const W = 1000, H = 92, left = 10, right = 10, bandY = 30, bandH = 18;
		const g = [];
		if (!list.length) {
			g.push(svg('text', { x: left, y: 40, 'font-size': 12, fill: '#666' }, _('No transitions recorded since the daemon started.')));
			return svg('svg', { width: '100%', viewBox: '0 0 %d %d'.format(W, 60), 'class': 'fgw-transitions', style: 'max-width:%dpx;display:block'.format(W) }, g);
		}
		const t0 = list[0].at;
		const t1 = Math.max(now || 0, list[list.length - 1].at + 1);
		const x = function(t) { return left + (W - left - right) * (t - t0) / (t1 - t0); };

		list.forEach(function(t, i) {
			const end = (i + 1 < list.length) ? list[i + 1].at : t1;
			g.push(svg('rect', { x: x(t.at), y: bandY, width: Math.max(1, x(end) - x(t.at)), height: bandH,
				fill: stateColor[t.to] || '#9e9e9e', 'class': 'fgw-band' }));
		});
		list.forEach(L.bind(function(t, i) {
			const xx = x(t.at);
			const anchor = (xx > W - 120) ? 'end' : 'start';
			const up = (i % 2 == 0);
			g.push(svg('line', { x1: xx, x2: xx, y1: up ? 12 : bandY, y2: up ? bandY + bandH : bandY + bandH + 16, stroke: '#333' }));
			g.push(svg('text', { x: xx + (anchor == 'end' ? -3 : 3), y: up ? 20 : bandY + bandH + 16, 'text-anchor': anchor, 'font-size': 11, fill: '#222' },
				'%s %s'.format(this.time(t.at).substr(11), this.word('vrrp_state', t.to))));
		}, this));
		g.push(svg('text', { x: W - right, y: H - 4, 'text-anchor': 'end', 'font-size': 11, fill: '#666' }, _('now')));
		return svg('svg', { width: '100%', viewBox: '0 0 %d %d'.format(W, H), role: 'img', 'class': 'fgw-transitions', style: 'max-width:%dpx;display:block'.format(W) }, g);
	}
});

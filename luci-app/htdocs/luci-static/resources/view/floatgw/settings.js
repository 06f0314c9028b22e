'use strict';
'require view';
'require dom';
'require form';
'require rpc';
'require ui';
'require tools.widgets as widgets';
'require floatgw as fgw';

/*
 * Settings: a form.Map over /etc/config/floatgw. The datatypes mirror the
 * daemon's validation (internal/config) for convenience only: the daemon is
 * the authority. After Save & Apply has committed the configuration, the
 * page asks the daemon to apply it and shows what the daemon found; the same
 * result is kept for the reload LuCI does after an apply.
 */

/** @rpc floatgw.apply dry_run:bool */
const callApply = rpc.declare({
	object: 'floatgw',
	method: 'apply',
	params: [ 'dry_run' ],
	filter: fgw.unwrap
});

/** @rpc floatgw.status */
const callStatus = rpc.declare({
	object: 'floatgw',
	method: 'status',
	filter: fgw.unwrap
});

const APPLY_KEY = 'floatgw.apply';

/* Codes the daemon uses for configuration it rejected or could not apply. */
const configCodes = [ 'CONFIG_INVALID', 'APPLY_FAILED' ];

function validAdvertInt(section_id, value) {
	if (value == null || value === '')
		return true;
	const version = this.section.formvalue(section_id, 'version') || '2';
	const v = +value;
	if (isNaN(v))
		return _('Expecting: %s').format(_('a number of seconds'));
	if (version == '3')
		return (v >= 0.01 && v <= 40.95 && Math.abs(v * 100 - Math.round(v * 100)) < 1e-9) ? true
			: _('VRRPv3: 0.01 to 40.95 seconds, in steps of 0.01');
	return (v >= 1 && v <= 255 && v == Math.floor(v)) ? true
		: _('VRRPv2: whole seconds from 1 to 255 (sub-second intervals need VRRP version 3)');
}

/* internal/config: an IPv4 address or a host name; a dns check asks the resolver at an IPv4 address. */
function validTarget(section_id, value) {
	const type = this.section.formvalue(section_id, 'type');
	if (value == null || value === '')
		return _('A target is required');
	const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value);
	if (type == 'dns')
		return ipv4 ? true : _('Expecting: %s').format(_('the IPv4 address of the DNS resolver'));
	const host = value.length <= 253 && value.split('.').every(function(l) {
		return l.length > 0 && l.length <= 63 && /^[A-Za-z0-9_-]+$/.test(l);
	});
	return (ipv4 || host) ? true : _('Expecting: %s').format(_('hostname or IPv4 address'));
}

/* internal/config: a check's timeout must not exceed the health interval. */
function validTimeout(section_id, value) {
	if (value == null || value === '')
		return true;
	const iv = this.map.lookupOption('interval', 'health');
	const interval = +((iv && iv[0].formvalue('health')) || 2);
	return (+value <= interval) ? true : _('must not exceed the health interval (%s s)').format(interval);
}

function validExpect(section_id, value) {
	if (value == null || value === '')
		return true;
	const type = this.section.formvalue(section_id, 'type');
	if (type == 'http')
		return /^[1-5]\d\d$/.test(value) ? true : _('Expecting: %s').format(_('an HTTP status code (100–599)'));
	return (value == 'noerror' || value == 'reply' || /^\d+\.\d+\.\d+\.\d+$/.test(value)) ? true
		: _('Expecting: %s').format(_('noerror, reply or an IPv4 address'));
}

return view.extend({
	load() {
		return Promise.all([
			callStatus().catch(function(err) { return { error: err }; })
		]);
	},

	writable() {
		return L.hasViewPermission ? L.hasViewPermission() !== false : true;
	},

	renderApply(r) {
		if (r && r.error)
			return fgw.errorBox(r.error);
		const changes = Array.isArray(r.changes) ? r.changes : [];
		const problems = Array.isArray(r.problems) ? r.problems : [];
		return E('div', { 'class': 'fgw-apply' }, [
			E('p', {}, E('strong', {}, r.dry_run
				? (changes.length ? _('Applying would change:') : _('Applying would change nothing.'))
				: (r.changed ? _('floatgw applied these changes:') : _('Applied: nothing needed to change.')))),
			changes.length ? E('ul', {}, changes.map(function(c) {
				return E('li', {}, [ E('code', {}, c.target), ' ', fgw.word('apply_action', c.action), c.detail ? ' — ' + c.detail : '' ]);
			})) : '',
			problems.length ? fgw.problemList(problems) : ''
		]);
	},

	handleApply(dryRun, ev) {
		dom.content(this.applyBox, E('p', { 'class': 'spinning' }, _('Asking floatgw…')));
		return callApply(dryRun).catch(function(err) { return { error: err }; }).then(L.bind(function(r) {
			dom.content(this.applyBox, this.renderApply(r));
		}, this));
	},

	handleSaveApply(ev, mode) {
		return this.handleSave(ev).then(L.bind(function() {
			const onApplied = L.bind(function() {
				document.removeEventListener('uci-applied', onApplied);
				callApply(false).then(L.bind(function(r) {
					try { sessionStorage.setItem(APPLY_KEY, JSON.stringify(r)); } catch (e) {}
					dom.content(this.applyBox, this.renderApply(r));
				}, this)).catch(L.bind(function(err) {
					dom.content(this.applyBox, fgw.errorBox(err));
				}, this));
			}, this);
			document.addEventListener('uci-applied', onApplied);
			return ui.changes.apply(mode == '0');
		}, this));
	},

	renderGeneral(s) {
		let o;

		o = s.taboption('general', form.Flag, 'enabled', _('Enabled'),
			_('Run floatgw\'s VRRP instance on this router.'));
		o.rmempty = false;

		o = s.taboption('general', form.ListValue, 'role', _('Role'),
			_('Primary: the preferred router that holds the VIP while it is healthy (usually the bypass router). Secondary: takes over when the primary fails.'));
		o.value('primary', fgw.word('role', 'primary'));
		o.value('secondary', fgw.word('role', 'secondary'));
		o.default = 'secondary';
		o.rmempty = false;

		o = s.taboption('general', form.Value, 'priority', _('Priority'),
			_('VRRP priority 1–254; the higher healthy router holds the VIP. Empty: 150 for primary, 100 for secondary.'));
		o.datatype = 'range(1,254)';
		o.placeholder = _('from role');
		o.optional = true;

		o = s.taboption('general', widgets.NetworkSelect, 'lan', _('LAN network'),
			_('The OpenWrt network the VIP lives in; its device and address are looked up through netifd.'));
		o.nocreate = true;
		o.default = 'lan';
		o.rmempty = false;

		o = s.taboption('general', form.DynamicList, 'vip', _('Virtual IP'),
			_('The gateway address clients use: IPv4, inside the LAN subnet, not used by any host. A prefix length, if given, must be the LAN\'s.'));
		o.datatype = 'ip4addr';
		o.rmempty = false;

		o = s.taboption('general', form.Flag, 'dhcp_gateway', _('Announce the VIP as DHCP gateway'),
			_('Main router only: hand out the VIP as default gateway (DHCP option 3) without touching your other DHCP options.'));
		o.rmempty = false;
	},

	renderVRRP(s) {
		let o;

		o = s.taboption('vrrp', form.Value, 'vrid', _('VRID'),
			_('Virtual router ID, 1–255, the same on both routers and unique on the LAN. The VRRP scan under Diagnostics shows the IDs in use.'));
		o.datatype = 'range(1,255)';
		o.default = '51';
		o.rmempty = false;

		o = s.taboption('vrrp', form.ListValue, 'version', _('VRRP version'));
		o.value('2', _('2 (RFC 3768)'));
		o.value('3', _('3 (RFC 5798, sub-second intervals)'));
		o.default = '2';

		o = s.taboption('vrrp', form.Value, 'advert_int', _('Advert interval'),
			_('Seconds between adverts. A backup takes over about 3.6 intervals after the master goes silent.'));
		o.datatype = 'ufloat';
		o.placeholder = '1';
		o.validate = validAdvertInt;

		o = s.taboption('vrrp', form.Flag, 'preempt', _('Preempt'),
			_('Let the router with the higher priority take the VIP back when it recovers.'));
		o.default = '1';
		o.rmempty = false;

		o = s.taboption('vrrp', form.Value, 'preempt_delay', _('Preempt delay'),
			_('Seconds to wait before taking the VIP back (0–1000).'));
		o.datatype = 'range(0,1000)';
		o.placeholder = '0';
		o.depends('preempt', '1');

		o = s.taboption('vrrp', form.DynamicList, 'peer', _('Unicast peers'),
			_('Addresses of the other router. Empty: multicast to 224.0.0.18. Use unicast when the network drops multicast (some hypervisor switches, IGMP snooping).'));
		o.datatype = 'ip4addr(1)';

		o = s.taboption('vrrp', form.Value, 'auth_pass', _('VRRP password'),
			_('Optional, VRRPv2 only, at most 8 characters (keepalived cuts longer ones). It is sent in clear text: it prevents accidents, not attacks.'));
		o.password = true;
		o.datatype = 'maxlength(8)';
		o.validate = function(section_id, value) {
			return (!value || /^[!-~]+$/.test(value)) ? true : _('Only printable ASCII characters without spaces');
		};
		o.depends('version', '2');
	},

	renderAdvanced(s) {
		let o;

		o = s.taboption('advanced', form.Flag, 'firewall', _('Manage the VRRP firewall rule'),
			_('Keep the rule firewall.vrrp (Allow-VRRP: accept protocol 112 from the LAN zone) in place.'));
		o.default = '1';
		o.rmempty = false;

		o = s.taboption('advanced', form.Value, 'startup_delay', _('Startup delay'),
			_('Seconds keepalived waits after starting before it may become master (0–3600), so a booting router does not grab the VIP before its uplink is ready.'));
		o.datatype = 'range(0,3600)';
		o.placeholder = '0';

		o = s.taboption('advanced', form.Value, 'garp_master_delay', _('Second gratuitous ARP burst after'),
			_('Whole seconds (0–255) between the two bursts of gratuitous ARPs a new master sends.'));
		o.datatype = 'range(0,255)';
		o.placeholder = '5';

		o = s.taboption('advanced', form.Value, 'garp_master_repeat', _('Gratuitous ARPs per burst'));
		o.datatype = 'range(1,255)';
		o.placeholder = '5';

		o = s.taboption('advanced', form.Value, 'garp_master_refresh', _('Gratuitous ARP refresh'),
			_('Whole seconds (0–86400) between gratuitous ARPs while master; 0 turns the refresh off. It helps clients that keep the old router\'s MAC.'));
		o.datatype = 'range(0,86400)';
		o.placeholder = '0';

		o = s.taboption('advanced', form.Value, 'garp_master_refresh_repeat', _('Gratuitous ARPs per refresh'));
		o.datatype = 'range(1,255)';
		o.placeholder = '1';
	},

	renderHealth(m) {
		let s, o;

		s = m.section(form.NamedSection, 'health', 'health', _('Health checks'),
			_('When checks fail, this router lowers its VRRP priority so the peer takes over.'));
		s.addremove = false;

		o = s.option(form.ListValue, 'mode', _('Mode'),
			_('Off: the router always counts as healthy. Basic and Internet run the checks below (Basic for LAN-side targets, Internet for upstream ones).'));
		o.value('off', fgw.word('health_mode', 'off'));
		o.value('basic', fgw.word('health_mode', 'basic'));
		o.value('internet', fgw.word('health_mode', 'internet'));
		o.optional = true;

		o = s.option(form.Value, 'interval', _('Interval'), _('Seconds between check rounds (0.1–3600).'));
		o.datatype = 'range(0.1,3600)';
		o.placeholder = '2';

		o = s.option(form.Value, 'fall', _('Fall'), _('Failed rounds in a row before the router counts as unhealthy (1–100).'));
		o.datatype = 'range(1,100)';
		o.placeholder = '3';

		o = s.option(form.Value, 'rise', _('Rise'), _('Good rounds in a row before it counts as healthy again (1–100).'));
		o.datatype = 'range(1,100)';
		o.placeholder = '2';

		o = s.option(form.Value, 'k', _('Checks that must pass (k)'),
			_('A round is good when at least k of the enabled checks pass. Empty: all of them.'));
		o.datatype = 'range(1,100)';
		o.validate = function(section_id, value) {
			const n = +(this.section.formvalue(section_id, 'n') || 0);
			return (!value || !n || +value <= n) ? true : _('k must not be larger than n');
		};

		o = s.option(form.Value, 'n', _('Enabled checks (n)'),
			_('Optional cross-check: must equal the number of enabled checks.'));
		o.datatype = 'range(1,32)';

		o = s.option(form.Value, 'hold_down', _('Hold-down'),
			_('Seconds to stay unhealthy at least, once down, so a flapping uplink does not bounce the VIP (0–86400).'));
		o.datatype = 'range(0,86400)';
		o.placeholder = '0';

		o = s.option(form.Value, 'weight', _('Priority penalty'),
			_('How much an unhealthy verdict lowers the priority (1–254): enough for the peer to take over.'));
		o.datatype = 'range(1,254)';
		o.placeholder = '100';

		s = m.section(form.GridSection, 'check', _('Checks'));
		s.anonymous = true;
		s.addremove = true;
		s.sortable = true;
		s.nodescriptions = true;

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.editable = true;

		o = s.option(form.ListValue, 'type', _('Type'));
		o.value('ping', fgw.word('check_type', 'ping'));
		o.value('dns', fgw.word('check_type', 'dns'));
		o.value('tcp', fgw.word('check_type', 'tcp'));
		o.value('http', fgw.word('check_type', 'http'));
		o.default = 'ping';
		o.rmempty = false;

		o = s.option(form.Value, 'target', _('Target'),
			_('ping, tcp, http: host name or IPv4 address; dns: the resolver\'s IPv4 address.'));
		o.validate = validTarget;
		o.rmempty = false;

		o = s.option(form.Value, 'port', _('Port'), _('Required for tcp; dns 53 and http 80 by default.'));
		o.datatype = 'port';
		o.depends('type', 'tcp');
		o.depends('type', 'dns');
		o.depends('type', 'http');

		o = s.option(form.Value, 'name', _('Name to resolve'), _('The DNS name asked for (A record).'));
		o.datatype = 'hostname';
		o.placeholder = '.';
		o.depends('type', 'dns');
		o.modalonly = true;

		o = s.option(form.Value, 'path', _('Path'));
		o.placeholder = '/';
		o.depends('type', 'http');
		o.modalonly = true;
		o.validate = function(section_id, value) {
			return (!value || /^\/\S*$/.test(value)) ? true : _('Expecting: %s').format('/path');
		};

		o = s.option(form.Value, 'expect', _('Expect'),
			_('dns: noerror, reply or an IPv4 address in the answer; http: a status code (default any 2xx).'));
		o.depends('type', 'dns');
		o.depends('type', 'http');
		o.modalonly = true;
		o.validate = validExpect;

		o = s.option(form.Value, 'timeout', _('Timeout'), _('Seconds (0.01–3600), at most the health interval.'));
		o.datatype = 'range(0.01,3600)';
		o.placeholder = '1';
		o.validate = validTimeout;
	},

	render(data) {
		const st = data[0] || {};
		let m, s;

		m = new form.Map('floatgw', _('Floating Gateway settings'),
			_('The settings of /etc/config/floatgw. Save & Apply commits them; floatgw then writes keepalived, the firewall rule and DHCP, and reports what it found.'));

		s = m.section(form.NamedSection, 'main', 'floatgw');
		s.addremove = false;
		s.tab('general', _('General'));
		s.tab('vrrp', _('VRRP'));
		s.tab('advanced', _('Advanced'));
		this.renderGeneral(s);
		this.renderVRRP(s);
		this.renderAdvanced(s);
		this.renderHealth(m);

		let kept = null;
		try { kept = JSON.parse(sessionStorage.getItem(APPLY_KEY) || 'null'); sessionStorage.removeItem(APPLY_KEY); } catch (e) {}

		const reported = (Array.isArray(st.problems) ? st.problems : []).filter(function(p) {
			return configCodes.indexOf(p.code) >= 0;
		});
		this.applyBox = E('div', { 'id': 'fgw-apply' }, kept ? this.renderApply(kept) : '');
		const ro = !this.writable();

		return m.render().then(L.bind(function(mapNode) {
			return E('div', {}, [
				st.error ? fgw.errorBox(st.error) : '',
				reported.length ? E('div', { 'class': 'cbi-section' }, [
					E('h3', {}, _('The daemon reports')),
					fgw.problemList(reported)
				]) : '',
				mapNode,
				E('div', { 'class': 'cbi-section' }, [
					E('h3', {}, _('Apply')),
					E('p', {}, [
						E('button', { 'class': 'cbi-button cbi-button-action', 'disabled': ro ? '' : null,
							'click': ui.createHandlerFn(this, 'handleApply', true) }, _('Preview changes')),
						' ',
						E('button', { 'class': 'cbi-button cbi-button-apply', 'disabled': ro ? '' : null,
							'click': ui.createHandlerFn(this, 'handleApply', false) }, _('Apply saved settings now'))
					]),
					this.applyBox
				])
			]);
		}, this));
	}
});

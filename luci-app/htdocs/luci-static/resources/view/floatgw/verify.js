'use strict';
'require view';
'require dom';
'require poll';
'require rpc';
'require ui';
'require floatgw as fgw';

/*
 * Verify: one button starts a drift verification (a measured, reversible
 * VIP switch). The page polls the latest run, so a second visitor sees a
 * run in progress too: its steps as they happen, the measured times as an
 * SVG timeline against the VRRP budget, the verdict and the diagnosis with a
 * button per safe fix. Verdicts and problems come from the daemon
 * (internal/api.VerifyRun); this page only draws them.
 */

/** @rpc floatgw.verify mode:string */
const callVerify = rpc.declare({
	object: 'floatgw',
	method: 'verify',
	params: [ 'mode' ],
	filter: fgw.unwrap
});

/** @rpc floatgw.verify_status id:string */
const callVerifyStatus = rpc.declare({
	object: 'floatgw',
	method: 'verify_status',
	params: [ 'id' ],
	filter: fgw.unwrap
});

/** @rpc floatgw.status */
const callStatus = rpc.declare({
	object: 'floatgw',
	method: 'status',
	filter: fgw.unwrap
});

/** @rpc floatgw.doctor_fix id:string */
const callDoctorFix = rpc.declare({
	object: 'floatgw',
	method: 'doctor_fix',
	params: [ 'id' ],
	filter: fgw.unwrap
});

/*
 * Latest run, or {} when there is none. A daemon may answer "no run yet"
 * with status NOT_FOUND (4), which uhttpd passes on as a bare 4, the same
 * code as a missing ubus object; status tells the two apart.
 */
function latestRun() {
	return callVerifyStatus().catch(function(err) {
		if (err.ubusCode != 4)
			throw err;
		return callStatus().then(function() { return {}; }, function() { throw err; });
	});
}

return view.extend({
	load() {
		return Promise.all([
			latestRun().catch(function(err) { return { error: err }; })
		]);
	},

	writable() {
		return L.hasViewPermission ? L.hasViewPermission() !== false : true;
	},

	handleStart(ev) {
		const mode = this.modeSelect ? this.modeSelect.value : 'soft';
		return callVerify(mode).then(function(r) {
			if (r.busy)
				ui.addNotification(null, E('p', {}, _('A verification is already running (run %s); showing it.').format(r.id)), 'info');
		}).catch(function(err) {
			ui.addNotification(null, E('p', {}, fgw.errorText(err)), 'danger');
		}).then(L.bind(this.refresh, this));
	},

	handleFix(fix, ev) {
		return callDoctorFix(fix.id).then(function(r) {
			const fixed = Array.isArray(r.fixed) ? r.fixed : [];
			const ok = fixed.length > 0 && fixed.every(function(f) { return f.ok; });
			ui.addNotification(null, E('div', {}, [
				E('p', {}, ok ? _('Fix applied: %s').format(fgw.fixText(fix)) : _('The fix did not work: %s').format(fgw.fixText(fix))),
				E('ul', {}, fixed.filter(function(f) { return f.detail; }).map(function(f) { return E('li', {}, f.detail); })),
				E('p', {}, _('Run the verification again to confirm.'))
			]), ok ? 'info' : 'danger');
		}).catch(function(err) {
			ui.addNotification(null, E('p', {}, fgw.errorText(err)), 'danger');
		});
	},

	refresh() {
		return latestRun().then(L.bind(this.update, this)).catch(L.bind(function(err) {
			this.update({ error: err });
		}, this));
	},

	update(run) {
		const busy = !!(run && run.busy);
		if (this.startButton) {
			if (busy || !this.writable())
				this.startButton.setAttribute('disabled', '');
			else
				this.startButton.removeAttribute('disabled');
		}
		dom.content(this.box, this.renderRun(run));
	},

	renderSteps(run) {
		const steps = Array.isArray(run.steps) ? run.steps : [];
		return E('table', { 'class': 'table fgw-steps' }, [
			E('tr', { 'class': 'tr table-titles' }, [
				E('th', { 'class': 'th', 'style': 'width:8em' }, _('Status')),
				E('th', { 'class': 'th' }, _('Step')),
				E('th', { 'class': 'th', 'style': 'width:7em' }, _('At')),
				E('th', { 'class': 'th' }, _('Detail'))
			])
		].concat(steps.map(function(s) {
			return E('tr', { 'class': 'tr', 'data-step': s.name }, [
				E('td', { 'class': 'td' }, fgw.badge('step_status', s.status)),
				E('td', { 'class': 'td' }, fgw.stepText(s.name)),
				E('td', { 'class': 'td' }, s.status == 'pending' ? '' : '+%d ms'.format(s.at_ms)),
				E('td', { 'class': 'td' }, s.detail || '')
			]);
		})));
	},

	renderRun(run) {
		if (run && run.error)
			return fgw.errorBox(run.error);
		if (!run || !run.id)
			return E('p', {}, E('em', {}, _('No verification has run since the daemon started.')));

		const verdict = run.busy
			? E('div', { 'class': 'alert-message notice spinning fgw-verdict' },
				_('Running: %s').format(fgw.word('verify_phase', run.phase)))
			: E('div', { 'class': 'alert-message fgw-verdict ' + (run.verdict == 'pass' ? 'success' : 'error') },
				E('strong', {}, fgw.word('verdict', run.verdict)));

		const problems = Array.isArray(run.problems) ? run.problems : [];
		return E('div', {}, [
			E('p', {}, _('Run %s, started %s, mode: %s').format(run.id, fgw.time(run.started_at), fgw.word('verify_mode', run.mode))),
			verdict,
			E('h3', {}, _('Steps')),
			this.renderSteps(run),
			E('h3', {}, _('Measured times')),
			fgw.timingsSVG(run.timings),
			(!run.busy || problems.length) ? E('h3', {}, _('Diagnosis')) : '',
			(!run.busy || problems.length)
				? fgw.problemList(problems, this.writable() ? L.bind(this.handleFix, this) : null,
					run.verdict == 'pass' ? _('No problems found.') : _('The daemon found no cause it can name.'))
				: ''
		]);
	},

	render(data) {
		this.modeSelect = E('select', { 'class': 'cbi-input-select', 'id': 'fgw-verify-mode' }, [
			E('option', { 'value': 'soft' }, fgw.word('verify_mode', 'soft')),
			E('option', { 'value': 'hard' }, fgw.word('verify_mode', 'hard'))
		]);
		this.startButton = E('button', {
			'class': 'cbi-button cbi-button-apply',
			'click': ui.createHandlerFn(this, 'handleStart')
		}, _('Start verification'));
		this.box = E('div', { 'id': 'fgw-verify-run' });
		this.update(data[0]);
		poll.add(L.bind(this.refresh, this), 1);

		return E('div', {}, [
			E('h2', {}, _('Drift verification')),
			E('div', { 'class': 'cbi-map-descr' },
				_('Moves the VIP to the other router in a controlled way, times every step, then moves it back. Clients may lose their gateway for up to a few seconds while it runs.')),
			E('div', { 'class': 'cbi-section' }, [
				E('label', { 'for': 'fgw-verify-mode' }, _('Mode') + ' '), this.modeSelect, ' ', this.startButton,
				this.writable() ? '' : E('p', {}, E('em', {}, _('Read-only access: you can watch runs but not start one.')))
			]),
			E('div', { 'class': 'cbi-section' }, this.box)
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});

// The about-you page: finds this browser's visitor id from the leadbeam script, asks the demo
// site's own server (/api/about-you, which holds the secret key) and shows the answer.
(function () {
  var root = document.getElementById('about-you');
  var WAIT_MS = 10000;

  /** An element with attributes and children; text is always set as text, never as HTML. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function show() {
    root.replaceChildren.apply(root, arguments);
  }
  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : '–';
  }
  function table(head, rows) {
    return el('table', { class: 'facts' }, el('thead', null, el('tr', null, ...head.map((h) => el('th', null, h)))), el('tbody', null, ...rows.map((r) => el('tr', null, ...r.map((c) => el('td', null, c))))));
  }
  function section(title) {
    return el('section', { class: 'card' }, el('h2', null, title), ...[].slice.call(arguments, 1));
  }

  function render(you) {
    if (!you.known) {
      show(section('Nothing yet', el('p', null, 'Nothing yet: browse a few pages, then come back. Your visitor id is ', el('code', { id: 'visitor-id' }, you.visitorId), '.')));
      return;
    }
    var byStage = you.pageviewsByStage;
    var other = you.pageviews - byStage.top - byStage.middle - byStage.bottom;
    var parts = [
      section(
        'Your browser',
        el('dl', { class: 'facts' },
          el('dt', null, 'Visitor id'), el('dd', null, el('code', { id: 'visitor-id' }, you.visitorId)),
          el('dt', null, 'Visits'), el('dd', { id: 'visits' }, you.returning ? 'Returning: ' + you.visits + ' visits' : 'First visit'),
          el('dt', null, 'First seen'), el('dd', null, when(you.firstSeenAt)),
          el('dt', null, 'Last seen'), el('dd', null, when(you.lastSeenAt)),
          el('dt', null, 'Engagement (anonymous)'), el('dd', { id: 'engagement' }, you.engagement + ' points, after decay'),
        ),
      ),
      section('Page views by funnel stage', table(['Top (learning)', 'Middle (comparing)', 'Bottom (buying)', 'Untagged', 'All'], [[byStage.top, byStage.middle, byStage.bottom, other, you.pageviews]])),
      section(
        'Recent events',
        you.recentEvents.length
          ? table(['When', 'Event', 'What', 'Stage'], you.recentEvents.map((e) => [when(e.ts), e.type, e.name || e.title || e.path, e.stage || '–']))
          : el('p', null, 'None stored yet.'),
      ),
    ];
    var lead = you.lead;
    if (you.claimedLead) parts.push(section('A known email', el('p', null, 'A form in this browser gave the email of someone leadbeam already knows from another browser. This browser now counts for that lead, but to protect the person, their details show only in the browser that first gave the email.')));
    else if (!lead) parts.push(section('Not a lead', el('p', null, 'No form has told leadbeam who you are. Subscribe to ', el('a', { href: '/newsletter' }, 'the newsletter'), ' or ', el('a', { href: '/demo' }, 'book a demo'), ' and this page shows you as a lead, with your score explained.')));
    else {
      parts.push(
        section(
          'You as a lead',
          el('dl', { class: 'facts' },
            el('dt', null, 'Email'), el('dd', null, lead.email),
            el('dt', null, 'Stage'), el('dd', { id: 'lead-stage' }, lead.stage),
            el('dt', null, 'Score'), el('dd', { id: 'lead-score' }, lead.score.total + ' = fit ' + lead.score.fit + ' + engagement ' + lead.score.engagement),
          ),
          el('h3', null, 'Every point explained'),
          table(['Rule', 'Kind', 'When', 'Points', 'Left after decay'], lead.score.items.map((i) => [i.ruleId, i.kind, i.ts ? when(i.ts) : '–', i.points, i.remaining])),
          el('p', { class: 'small' }, 'Engagement points halve with time; fit points come from what your forms said. The lines sum to the score.'),
          el('h3', null, 'Stage history'),
          table(['When', 'From', 'To', 'Why', 'Fit', 'Engagement', 'Total'], lead.stageHistory.map((s) => [when(s.at), s.from, s.to, s.cause, s.scores.fit, s.scores.engagement, s.scores.total])),
        ),
      );
    }
    show.apply(null, parts);
  }

  function lookUp(visitorId) {
    fetch('/api/about-you?visitor=' + encodeURIComponent(visitorId), { headers: { Accept: 'application/json' } })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.error || 'the lookup answered ' + res.status);
          render(body);
        });
      })
      .catch(function (err) {
        show(section('Could not look you up', el('p', null, err.message)));
      });
  }

  // leadbeam.ready runs once the script has started (it starts when the browser is idle, or at
  // the first interaction). An empty id means it records nothing here (Do Not Track, Global
  // Privacy Control, opt-out). A script that never starts (blocked) gets a word after a while.
  var answered = false;
  var late = setTimeout(function () {
    if (!answered) show(section('Nothing yet', el('p', null, 'Nothing yet: the leadbeam script has not started in this browser (blocked?). Browse a few pages, then come back.')));
  }, WAIT_MS);
  if (window.leadbeam && window.leadbeam.ready) {
    window.leadbeam.ready(function (api) {
      answered = true;
      clearTimeout(late);
      var id = api.visitorId();
      if (id) lookUp(id);
      else
        show(
          section(
            'Not tracked',
            el(
              'p',
              null,
              // The script skips browsers driven by automation (tests, crawlers) unless the tag says otherwise: name that too.
              'leadbeam records nothing in this browser (Do Not Track, Global Privacy Control or an opt-out' +
                (navigator.webdriver ? ', or, as here, a browser driven by automation such as a test or a crawler' : '') +
                '), so it knows nothing about you.',
            ),
          ),
        );
    });
  }
})();

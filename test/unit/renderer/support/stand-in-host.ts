// A TEST-ONLY stand-in for the kiosk host: the classic script served as /kiosk-host.js in the renderer's
// Chromium tests. It defines window.kiosk, records every call, and lets the test push views. It keeps a
// reference to each PIN array it receives so the test can check the renderer zero-filled it afterwards.
export const STAND_IN_HOST_SCRIPT = `
(function () {
  var listeners = [];
  var calls = [];
  var pinArrays = [];
  var current = null;
  var params = new URLSearchParams(location.search);
  var done = function () { return Promise.resolve({ ok: true, value: undefined }); };
  function record(name, args) { calls.push({ name: name, args: args }); return done(); }
  window.__standIn = {
    calls: calls,
    pinArrays: pinArrays,
    push: function (view) { current = view; listeners.forEach(function (l) { l(view); }); },
  };
  window.kiosk = {
    onView: function (listener) {
      listeners.push(listener);
      setTimeout(function () { if (current) listener(current); }, 0);
      return function () { listeners = listeners.filter(function (l) { return l !== listener; }); };
    },
    submitPin: function (pin, options) {
      pinArrays.push(pin);
      return record('submitPin', [Array.from(pin), options]);
    },
    submitUserCode: function (code) { return record('submitUserCode', [code]); },
    renewEnrollment: function () { return record('renewEnrollment', []); },
    cancel: function () { return record('cancel', []); },
    stillHere: function () { return record('stillHere', []); },
    reportActivity: function () { return record('reportActivity', []); },
    useVirtualCard: function () { return record('useVirtualCard', []); },
    getConfig: function () {
      return Promise.resolve({ ok: true, value: { languages: ['en', 'nl'], defaultLanguage: params.get('lang') || 'en',
        helpUrl: 'https://help.test/kiosk', displayName: 'Test Agency', idleSeconds: 60 } });
    },
  };
  window.__standIn.push({ screen: 'welcome', readers: 'ready', virtualCardOffered: true, issuer: 'reachable' });
})();
`;

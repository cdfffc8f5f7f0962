// Per-file setup. matrix-js-sdk 43 calls Promise.withResolvers, which Node 20 lacks.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

// Failure paths are exercised on purpose; their ERROR logs would bury the test report.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Logins follow Synapse's rc_login defaults (5 per address and per account, then one per 333 s;
// 3 failed attempts per account, then one per 6 s): test files log in far more than a person
// does, from one address. Tests of those limits set them explicitly.
process.env.AXON_RATE_LIMIT_LOGIN ??= '100000/60';
process.env.AXON_RATE_LIMIT_LOGIN_ACCOUNT ??= '100000/60';
process.env.AXON_RATE_LIMIT_LOGIN_FAILURES ??= '100000/60';
// Profile changes follow Synapse's rc_message (10, then one per 5 s); test files change many.
process.env.AXON_RATE_LIMIT_PROFILE ??= '100000/60';

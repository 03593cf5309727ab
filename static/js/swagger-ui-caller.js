// Puts the caller's own id into the request examples of the API docs page (Swagger UI), so that
// "Try it out" on /api/ai/chat sends a `userId` the server accepts rather than a placeholder
// that answers 403. The id is the page's `data-caller-id` (a session login), or the `user_id`
// claim of the JWT given to Authorize. Loaded after Swagger UI's bundle and before drf-spectacular's
// start-up script, whose SwaggerUIBundle(...) call it wraps to add its plugin.
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  var callerId = root && root.dataset.callerId ? Number(root.dataset.callerId) : null;

  function withCaller(spec) {
    if (callerId === null || !spec || !spec.paths) return spec;
    Object.values(spec.paths).forEach(function (operations) {
      Object.values(operations || {}).forEach(function (operation) {
        var content = (operation && operation.requestBody && operation.requestBody.content) || {};
        Object.values(content).forEach(function (media) {
          Object.values(media.examples || {}).forEach(function (example) {
            var value = example && example.value;
            if (value && typeof value === "object" && "userId" in value) {
              // The id as the schema types it: a number, or a numeric string.
              value.userId = typeof value.userId === "string" ? String(callerId) : callerId;
            }
          });
        });
      });
    });
    return spec;
  }

  function idOfToken(token) {
    try {
      var payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var id = Number(JSON.parse(atob(payload)).user_id);
      return Number.isInteger(id) ? id : null;
    } catch (error) {
      return null;
    }
  }

  function CallerPlugin(system) {
    return {
      statePlugins: {
        spec: {
          wrapActions: {
            updateJsonSpec: function (original) {
              return function (spec) {
                return original(withCaller(spec));
              };
            },
          },
        },
        auth: {
          wrapActions: {
            authorize: function (original) {
              return function (payload) {
                var result = original(payload);
                var jwt = payload && payload.jwtAuth;
                var id = jwt && typeof jwt.value === "string" ? idOfToken(jwt.value) : null;
                if (id !== null && id !== callerId) {
                  callerId = id;
                  // Parsed again, so the examples take the token's user.
                  system.specActions.parseToJson(system.specSelectors.specStr());
                }
                return result;
              };
            },
          },
        },
      },
    };
  }

  var original = window.SwaggerUIBundle;
  function SwaggerUIBundle(config) {
    return original(Object.assign({}, config, { plugins: (config.plugins || []).concat([CallerPlugin]) }));
  }
  window.SwaggerUIBundle = Object.assign(SwaggerUIBundle, original);
})();

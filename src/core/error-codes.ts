/**
 * Every error code faultline can raise, in one registry. Codes are never reused or renamed.
 * docs/errors.md is generated from this table (scripts/gen-errors-doc.js) and a test keeps them in step.
 * Each area appends its codes in its own block; keep entries sorted within a block.
 */
export const ERROR_CODES = {
  // core / config
  FL_ERR_CONFIG_NOT_FOUND: { exit: 2, http: 400, message: 'The configuration file does not exist.', hint: 'Pass --config FILE or run `faultline init`.' },
  FL_ERR_CONFIG_PARSE: { exit: 2, http: 400, message: 'The configuration file is not valid YAML/JSON.', hint: 'Fix the syntax at the line shown.' },
  FL_ERR_CONFIG_INVALID: { exit: 2, http: 400, message: 'The configuration file has invalid fields.', hint: 'Each problem is listed with file:line and field.' },
  FL_ERR_INVALID_ARGUMENT: { exit: 2, http: 400, message: 'A command-line argument or API attribute is invalid.', hint: 'The message names the argument and what it accepts.' },
  FL_ERR_INTERRUPTED: { exit: 130, http: 499, message: 'The run was interrupted (SIGINT/SIGTERM); every fault it injected was reverted.', hint: 'Run it again; `faultline ledger` shows what was reverted.' },
  FL_ERR_INTERNAL: { exit: 70, http: 500, message: 'An unexpected internal error.', hint: 'Please report it with the --json output.' },
  // safety
  FL_ERR_SAFE_ZONE: { exit: 4, http: 403, message: 'The fault targets something a safe zone protects.', hint: 'The message names the rule; change safeZones in faultline.yaml if intended.' },
  FL_ERR_MAX_CONCURRENT_FAULTS: { exit: 4, http: 409, message: 'Too many faults are active at once.', hint: 'Revert one, or raise safeZones.maxConcurrentFaults.' },
  FL_ERR_NOT_LOCAL: { exit: 2, http: 400, message: 'The target address is not on this machine.', hint: 'faultline only targets loopback addresses and local processes.' },
  FL_ERR_TTL_REQUIRED: { exit: 2, http: 400, message: 'A fault needs a positive time-to-live.', hint: 'Pass --ttl (e.g. 30s); the default comes from faultline.yaml.' },
  FL_ERR_UNAUTHORIZED: { exit: 2, http: 401, message: 'A token is required for a non-loopback bind.', hint: 'Send the token in the Authorization header.' },
  // store
  FL_ERR_STORE_OPEN: { exit: 5, http: 500, message: 'The ledger could not be opened.', hint: 'Check that the state directory is writable.' },
  // inject: proxy
  FL_ERR_PROXY_NOT_FOUND: { exit: 2, http: 404, message: 'No proxy with that name.', hint: 'List proxies with GET /proxies.' },
  FL_ERR_PROXY_UNREACHABLE: { exit: 5, http: 502, message: 'The proxy API did not answer.', hint: 'Start it with `faultline proxy serve` or pass --api with its address.' },
  FL_ERR_PROXY_EXISTS: { exit: 2, http: 409, message: 'A proxy with that name already exists.', hint: 'Choose another name or DELETE the existing one.' },
  FL_ERR_PROXY_LISTEN: { exit: 5, http: 500, message: 'The proxy could not listen on the address.', hint: 'Is the port already in use?' },
  FL_ERR_TOXIC_NOT_FOUND: { exit: 2, http: 404, message: 'No toxic with that name on this proxy.', hint: 'List toxics with GET /proxies/{name}/toxics.' },
  FL_ERR_TOXIC_EXISTS: { exit: 2, http: 409, message: 'A toxic with that name already exists on this proxy.', hint: 'Choose another name or PATCH the existing one.' },
  FL_ERR_TOXIC_TYPE: { exit: 2, http: 400, message: 'Unknown toxic type.', hint: 'See docs/reference/toxics.md for the list.' },
  FL_ERR_TOXIC_ATTRIBUTE: { exit: 2, http: 400, message: 'A toxic attribute is missing or invalid.', hint: 'The message names the attribute and its unit.' },
  // inject: process / supervisor
  FL_ERR_PROCESS_NOT_FOUND: { exit: 2, http: 404, message: 'No process with that PID (or it has exited).', hint: 'Check the PID with `faultline status` or `ps`.' },
  FL_ERR_SERVICE_NOT_FOUND: { exit: 2, http: 404, message: 'No service with that name in faultline.yaml.', hint: 'Run `faultline status` to list services.' },
  FL_ERR_SERVICE_START: { exit: 5, http: 500, message: 'A service did not start or did not become healthy in time.', hint: 'See the service log under .faultline/logs/.' },
  FL_ERR_PROCESS_FAULT: { exit: 5, http: 500, message: 'A process fault could not be applied.', hint: 'The message says which step failed.' },
  FL_ERR_FAULT_NOT_FOUND: { exit: 2, http: 404, message: 'No active process fault with that id (it may have expired or been reverted).', hint: 'List active faults with `faultline faults`.' },
  FL_ERR_TOOL_MISSING: { exit: 6, http: 501, message: 'A system tool this fault needs is not installed.', hint: 'Install it (the message names the Debian package) or use the fallback.' },
  // inject: agent
  FL_ERR_AGENT_UNREACHABLE: { exit: 5, http: 502, message: 'The in-process agent did not answer.', hint: 'Was the target started with `node --import faultline/agent`?' },
  FL_ERR_AGENT_FAULT: { exit: 2, http: 400, message: 'The agent rejected the fault.', hint: 'The message names the attribute.' },
  FL_ERR_AGENT_FAULT_NOT_FOUND: { exit: 2, http: 404, message: 'The agent has no active fault with that id.', hint: 'It may have expired (TTL) or reached maxHits; list faults with GET /v1/faults.' },
  FL_ERR_AGENT_FORBIDDEN: { exit: 2, http: 403, message: 'The agent control API refused the caller.', hint: 'Call it from this machine (loopback), without a browser Origin header, with the token if one is set.' },
  FL_ERR_AGENT_NOT_FOUND: { exit: 2, http: 404, message: 'No running agent matches.', hint: 'Start the target with `node --import faultline/agent` and list agents with `faultline agent list`.' },
  // inject: netem (L3)
  FL_ERR_NETNS_COMMAND: { exit: 5, http: 500, message: 'A system command (ip, nft, iptables, tc) failed.', hint: 'The message shows the command and its stderr.' },
  FL_ERR_NETNS_EXISTS: { exit: 2, http: 409, message: 'A network namespace with that name already exists.', hint: 'Choose another --name or run `faultline netns down NAME`.' },
  FL_ERR_NETNS_FAULT_CONFLICT: { exit: 2, http: 409, message: 'Another network fault already holds that interface queue.', hint: 'Revert it first (`faultline netns revert ID`) or wait for its TTL.' },
  FL_ERR_NETNS_FAULT_NOT_FOUND: { exit: 2, http: 404, message: 'No active network fault with that id.', hint: 'List active faults with `faultline netns list`.' },
  FL_ERR_NETNS_NOT_FOUND: { exit: 2, http: 404, message: 'No faultline network namespace with that name.', hint: 'List them with `faultline netns list`.' },
  FL_ERR_NETNS_UNAVAILABLE: { exit: 6, http: 501, message: 'Network namespaces or packet filters are not available here.', hint: 'L3 faults need root, iproute2 and nftables or iptables.' },
  FL_ERR_NETEM_UNAVAILABLE: { exit: 6, http: 501, message: 'The kernel has no netem module.', hint: 'Delay and corruption fall back to the proxy toxics.' },

  // experiment (format, runner, providers)
  FL_ERR_EXPERIMENT_INVALID: { exit: 2, http: 400, message: 'The experiment file has invalid fields.', hint: 'Each problem is listed as file:line:col field: message; check it with `faultline validate`.' },
  FL_ERR_EXPERIMENT_NOT_FOUND: { exit: 2, http: 404, message: 'The experiment file does not exist.', hint: 'Pass the path of a .yaml, .yml or .json experiment.' },
  FL_ERR_EXPERIMENT_PARSE: { exit: 2, http: 400, message: 'The experiment file is not valid YAML/JSON.', hint: 'Fix the syntax at the file:line:col shown.' },
  FL_ERR_PROVIDER_FAILED: { exit: 5, http: 502, message: 'An activity provider failed (connection refused, timeout, unexpected status).', hint: 'The message names the activity and what failed.' },

  // observe (load, samplers, figures)
  FL_ERR_FIGURES_INPUT: { exit: 2, http: 400, message: 'Resilience figures got invalid bounds or fault windows.', hint: 'The message names the field; bounds are rates in 0–1 and ms ≥ 0, windows need startMs ≤ endMs.' },
  FL_ERR_LOAD_SPEC: { exit: 2, http: 400, message: 'The load specification is invalid.', hint: 'The message names the attribute (url must be http:// on this machine; ratePerSec, timeoutMs, connections > 0).' },

  // cards and continuous chaos
  FL_ERR_CARD_BINDING: { exit: 2, http: 400, message: 'A failure card needs a binding that was not given.', hint: 'Pass --bind key=value (e.g. --bind service=api) or add the service/proxy to faultline.yaml.' },
  FL_ERR_CARD_INVALID: { exit: 2, http: 400, message: 'A failure card file is invalid.', hint: 'Each problem is listed with file:line:col and field; see docs/reference/failure-cards.md.' },
  FL_ERR_CARD_NOT_FOUND: { exit: 2, http: 404, message: 'No failure card with that id.', hint: 'List cards with `faultline cards`; add directories with --cards DIR.' },
  FL_ERR_CARD_NOT_RUNNABLE: { exit: 2, http: 409, message: 'The failure card cannot be run: faultline lacks the mechanism it needs.', hint: 'Its status is needs-mechanism; `faultline cards show ID` says what is missing.' },
  FL_ERR_GAMEDAY_INVALID: { exit: 2, http: 400, message: 'The game day file is invalid.', hint: 'The message names file:line:col and field; see docs/reference/chaos.md.' },
  FL_ERR_RUN_RECORD_INVALID: { exit: 2, http: 400, message: 'A run record is missing a field or has an invalid one.', hint: 'The message names the field.' },

  // report
  FL_ERR_METRICS_LISTEN: { exit: 5, http: 500, message: 'The metrics endpoint could not listen on the address.', hint: 'Is the port already in use? Pass another port (0 picks a free one).' },
  FL_ERR_REPORT_INVALID: { exit: 2, http: 400, message: 'The file is not a faultline run report (report.json).', hint: 'Each problem names the file and the field; reports are written by `faultline run`, `chaos` and `test`.' },
  FL_ERR_REPORT_READ: { exit: 2, http: 404, message: 'The report file could not be read.', hint: 'Check the path; run reports are under .faultline/runs/<id>/report.json.' },
  FL_ERR_REPORT_WRITE: { exit: 5, http: 500, message: 'A report file could not be written.', hint: 'Check that the output folder is writable.' },

  // test under chaos
  FL_ERR_TEST_COMMAND: { exit: 5, http: 500, message: 'The test command could not be started.', hint: 'Check the command after `--` (it runs without a shell) and its working directory.' },
  FL_ERR_TEST_FAULT_SPEC: { exit: 2, http: 400, message: 'A --fault value is not valid.', hint: 'Use LAYER:KIND[:key=value…], e.g. agent:throw:fn=fetchPrice or proxy:latency:link=pricing:latency=500 (docs/reference/test-under-chaos.md).' },
  FL_ERR_TEST_NO_RESULTS: { exit: 2, http: 400, message: 'The clean run of the test command reported no test results.', hint: 'Use a command that prints TAP (node --test) or writes JUnit XML and pass --junit FILE.' },

  // analyze (code metrics, smells, import graph, git history, SZZ)
  FL_ERR_ANALYZE_CACHE: { exit: 5, http: 500, message: 'The analysis cache folder could not be created or written.', hint: 'Pass --cache DIR with a writable folder, or --no-cache.' },
  FL_ERR_ANALYZE_PATH: { exit: 2, http: 404, message: 'The path to analyse does not exist or is not a folder.', hint: 'Pass --repo with a project folder (a work tree) or a git repository.' },
  FL_ERR_ANALYZE_REV: { exit: 2, http: 400, message: 'The revision does not name a commit in the repository.', hint: 'Pass --rev with a commit, branch or tag that `git rev-parse --verify REV^{commit}` accepts.' },
  FL_ERR_GIT_FAILED: { exit: 5, http: 500, message: 'A git command failed.', hint: 'The message shows the command and git\'s stderr; check that git is installed and the revision exists.' },
  FL_ERR_GIT_NOT_REPO: { exit: 2, http: 400, message: 'The path is not a git repository.', hint: 'Pass --repo with a work tree or a bare repository (a folder that holds HEAD and objects/).' },
  FL_ERR_DIFF_PARSE: { exit: 2, http: 400, message: 'The diff is not a unified diff.', hint: 'Pass the output of `git diff` (or `diff -u`); the message names the line that did not parse.' },

  // predict (features, models, calibration, evaluation)
  FL_ERR_PREDICT_INPUT: { exit: 2, http: 400, message: 'The prediction input is invalid (features, labels, model options).', hint: 'The message names the field and what it accepts.' },
  FL_ERR_PREDICT_HISTORY: { exit: 2, http: 400, message: 'The repository has too little history for this evaluation or training.', hint: 'The message says what is missing; pass an earlier --cutoff, a shorter --horizon, or use the default model.' },
  FL_ERR_PREDICT_MODEL: { exit: 2, http: 400, message: 'A saved model file is missing or invalid.', hint: 'The message names the file; retrain with `faultline predict train` or reinstall faultline for models/default.json.' },

  // refactor (recipes, text edits)
  FL_ERR_EDIT_CONFLICT: { exit: 5, http: 409, message: 'Text edits overlap or fall outside the text they edit.', hint: 'Apply the recipes one at a time and locate the next one in the edited text.' },
  FL_ERR_RECIPE_LOCATION: { exit: 2, http: 400, message: 'The location given to a recipe is not a position in that file.', hint: 'Pass the path the text was read from and a 1-based line (and column) inside it.' },
  FL_ERR_RECIPE_NOT_FOUND: { exit: 2, http: 404, message: 'No refactoring recipe with that id.', hint: 'The recipes and their ids are listed in docs/reference/recipes.md.' },
  FL_ERR_RECIPE_OPTIONS: { exit: 2, http: 400, message: 'A recipe option is invalid.', hint: 'The message names the option and what it accepts; see the refactor section of docs/reference/recipes.md.' },

  // observe: anomaly detector evaluation (NAB corpus, scorer, published results)
  FL_ERR_NAB_CORPUS: { exit: 2, http: 400, message: 'The corpus folder does not have the Numenta Anomaly Benchmark layout.', hint: 'Pass --data with a folder that holds data/<group>/<series>.csv and labels/combined_windows.json; the message names what is missing.' },
  FL_ERR_NAB_RESULTS: { exit: 2, http: 400, message: 'A detector\'s result files are missing or do not match the corpus.', hint: 'Each name given to --published must be a folder under <data>/results/ with <group>/<name>_<series>.csv for every labelled series.' },
  FL_ERR_NAB_SCORES: { exit: 2, http: 400, message: 'Anomaly scores are missing, not one per sample, or not numbers in [0, 1].', hint: 'The message names the series and the row; a detector must return a score in [0, 1] for every sample.' },

  // observe: anomaly detectors (options, registry)
  FL_ERR_DETECTOR_OPTIONS: { exit: 2, http: 400, message: 'An anomaly detector got invalid options.', hint: 'The message names the option and what it accepts; docs/reference/anomaly-detection.md lists each detector\'s options.' },
  FL_ERR_DETECTOR_NOT_FOUND: { exit: 2, http: 404, message: 'No anomaly detector with that name.', hint: 'List them with `faultline observe detectors`; names are kebab-case (robust-z, ewma, windowed-gaussian, …).' },

  // refactor: the engine (worktree, verification, keep/revert, apply, revert, the record of fixes)
  FL_ERR_REFACTOR_BASELINE: { exit: 1, http: 409, message: 'A verification check fails on the untouched code, so it cannot verify any fix.', hint: 'Fix the project so the check passes at HEAD (the message shows its output), or pass --no-verify to skip that check (fixes are then marked unverified).' },
  FL_ERR_REFACTOR_NO_TESTS: { exit: 2, http: 400, message: 'The project has no test command, so no fix can be verified.', hint: 'Add a "test" script to package.json or refactor.test to faultline.yaml, or pass --no-verify to keep fixes marked unverified.' },
  FL_ERR_REFACTOR_DIRTY_TREE: { exit: 2, http: 409, message: 'The working tree has uncommitted changes to tracked files; faultline will not write to it.', hint: 'Commit or stash your changes, then run `faultline refactor --apply` (or `refactor revert`) again.' },
  FL_ERR_REFACTOR_NOT_FOUND: { exit: 2, http: 404, message: 'No refactoring fix with that id.', hint: 'The ids are in the report of `faultline refactor` and in <stateDir>/refactors.jsonl.' },
  FL_ERR_REFACTOR_APPLY: { exit: 5, http: 409, message: 'The kept fixes could not be applied to the current branch (or a fix could not be reverted).', hint: 'The message shows git\'s error; nothing was left half-applied. Merge or cherry-pick the refactor branch by hand.' },
  FL_ERR_REFACTOR_RECORD_INVALID: { exit: 2, http: 400, message: 'A refactoring record is missing a field or has an invalid one.', hint: 'The message names the field.' },
  FL_ERR_REFACTOR_CHECK: { exit: 5, http: 500, message: 'A verification command could not be started.', hint: 'The message shows the command and its working directory; check that it is installed.' },

  // observe: early warning (recorded corpus, forecaster, Prometheus rules, watch)
  FL_ERR_PROMETHEUS_QUERY: { exit: 5, http: 502, message: 'The Prometheus HTTP API did not answer the query, or answered with an error.', hint: 'The message has the URL and Prometheus\'s own error; check --prometheus (the server\'s base URL, e.g. http://127.0.0.1:9090) and the PromQL of --query.' },
  FL_ERR_RULES_DETECTOR: { exit: 2, http: 400, message: 'That anomaly detector has no form as a Prometheus alerting rule.', hint: 'Export rules for robust-z, ewma or windowed-gaussian; the others keep state PromQL cannot hold.' },
  FL_ERR_WARN_CORPUS: { exit: 2, http: 400, message: 'The early-warning corpus is missing, empty or not in faultline\'s recorded-run format.', hint: 'Record one with `node scripts/record-corpus.mjs --out DIR`; the message names the file and the field.' },
  FL_ERR_WARN_MODEL: { exit: 2, http: 400, message: 'An early-warning model file is missing or invalid, or cannot be trained from the data given.', hint: 'Train one with `faultline observe warn-eval --data DIR --save-model FILE`; the message says what is missing.' },

  // promote: modules, coverage and other gate inputs, the release registry, rollback
  FL_ERR_COVERAGE_REPORT: { exit: 2, http: 400, message: 'A coverage report is missing, of an unknown format, or malformed.', hint: 'Pass an istanbul coverage-summary.json or coverage-final.json, an lcov.info or a cobertura XML (c8 --reporter=json-summary|json|lcov|cobertura writes them); the message names the file and what is wrong.' },
  FL_ERR_MUTATION_REPORT: { exit: 2, http: 400, message: 'The mutation report is not a Stryker mutation-testing-report-schema JSON.', hint: 'Pass reports/mutation/mutation.json of Stryker (jsonReporter); the message names the field.' },
  FL_ERR_AUDIT_REPORT: { exit: 2, http: 400, message: 'The dependency audit is not the output of `npm audit --json`.', hint: 'Save it with `npm audit --json > audit.json` (npm 7 or later) and pass that file.' },
  FL_ERR_MODULE_NOT_FOUND: { exit: 2, http: 404, message: 'No module with that name.', hint: 'Modules are the workspace packages and the promote.modules of faultline.yaml; `faultline gate --json` lists them.' },
  FL_ERR_RELEASE_NOT_FOUND: { exit: 2, http: 404, message: 'No release of that module (or with that id) in the release registry.', hint: 'Promote one with `faultline promote <module>`; GET /v1/releases lists them.' },
  FL_ERR_RELEASE_RECORD_INVALID: { exit: 2, http: 400, message: 'A release record is missing a field or has an invalid one.', hint: 'The message names the field.' },
  FL_ERR_ROLLBACK_NO_PREVIOUS: { exit: 4, http: 409, message: 'There is no earlier stable release to roll back to.', hint: 'A module can be rolled back once it has been promoted at least twice; promote the known-good version first.' },
  FL_ERR_ROLLBACK_FAILED: { exit: 5, http: 500, message: 'The rollback adapter could not roll the module back.', hint: 'The message shows the adapter\'s command or file operation and its error; the release registry records the failed attempt.' },

  // server: the faultline HTTP API (faultline serve)
  FL_ERR_API_BODY_TOO_LARGE: { exit: 2, http: 413, message: 'The request body is larger than the API accepts (1 MiB).', hint: 'Send one module or promotion request per call.' },
  FL_ERR_API_FORBIDDEN: { exit: 2, http: 403, message: 'The API refused a browser call (an Origin it does not allow, or a browser user agent without Origin).', hint: 'Call it from a script or curl; add the dashboard\'s origin to allowedOrigins if a page must call it.' },
  FL_ERR_API_LISTEN: { exit: 5, http: 500, message: 'The API could not listen on the address.', hint: 'Is the port already in use? Pass --port (0 picks a free one).' },
  FL_ERR_API_METHOD_NOT_ALLOWED: { exit: 2, http: 405, message: 'The route does not accept that HTTP method.', hint: 'The Allow header lists the methods it accepts; GET /v1 lists every route.' },
  FL_ERR_API_ROUTE_NOT_FOUND: { exit: 2, http: 404, message: 'No API route with that path.', hint: 'GET /v1 lists the routes (docs/reference/api.md).' },
} as const satisfies Record<string, { exit: number; http: number; message: string; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Every command's options, declared once: src/cli/args.ts parses and validates against these tables and writes
 * each command's --help from them, and main.ts lists the commands from them. Kept free of heavy imports so that
 * `sideband --help` and a usage error load nothing else.
 */
import { FIT_FUNCTION_NAMES } from '../fit/functions.js';
import type { CommandSpec, OptionSpec } from './args.js';

const quiet: OptionSpec = {
  name: 'quiet',
  help: 'print nothing but errors (a run that does not succeed still prints its one status line)',
};
const set: OptionSpec = {
  name: 'set',
  value: 'KEY=VALUE',
  repeatable: true,
  help:
    'override a topology field with a YAML-typed value; setting a field of another source kind switches the source ' +
    "(source.path=F.parquet on a generator topology reads F), or give the whole block: 'source={kind: parquet, path: F}'",
  example: 'trigger.minSrEvents=5000',
};
const metricsPort: OptionSpec = {
  name: 'metrics-port',
  value: 'PORT',
  kind: 'port',
  help: "serve Prometheus metrics on this port (0 picks a free one); default: the topology's metrics block, else none",
  example: '9464',
};
const metricsHost: OptionSpec = {
  name: 'metrics-host',
  value: 'HOST',
  defaultText: '127.0.0.1',
  help: 'interface the metrics endpoint binds to',
  example: '0.0.0.0',
};
const insecure: OptionSpec = {
  name: 'insecure',
  help: 'allow Kafka SASL without TLS and TLS without certificate checks (refused otherwise)',
};
const topologyArg = { name: '<topology.yaml>', help: 'the topology file (see topologies/)', required: true };
const json: OptionSpec = { name: 'json', help: 'print one JSON object instead of text' };
const signal: OptionSpec = {
  name: 'signal',
  value: 'SPEC',
  repeatable: true,
  help: 'inject a resonance A -> B C: masses in GeV and the number of events',
  example: '"mA=3500,mB=500,mC=100,n=1000"',
};
const fitNames = ['auto', ...FIT_FUNCTION_NAMES];

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'run a topology: stream its source through cuts, windows, classifier and fits; write results and a report',
  usage: '<topology.yaml> [options]',
  positionals: [topologyArg],
  options: [
    {
      name: 'out',
      value: 'DIR',
      defaultText: 'out/<topology name>',
      help:
        'output directory; written beside it as DIR.tmp-<run id> and moved into place when the run ends, so a failed ' +
        'run leaves the previous DIR as it was',
      example: 'out/my-search',
    },
    set,
    metricsPort,
    metricsHost,
    {
      name: 'resume',
      help: 'continue a killed or stopped run from DIR.checkpoint/ (a Kafka source always continues from it)',
    },
    {
      name: 'checkpoint-every',
      value: 'SECONDS',
      kind: 'number',
      default: '30',
      help: 'checkpoint the run into DIR.checkpoint/ this often (and on SIGTERM/SIGINT)',
    },
    { name: 'no-checkpoint', help: 'take no checkpoints (a signal then stops the run without one)' },
    {
      name: 'allow-path',
      value: 'DIR',
      repeatable: true,
      help: "input files may also lie under DIR (default: only under the working directory and the topology's)",
      example: '/data/lhco',
    },
    insecure,
    quiet,
  ],
  notes: [
    'Writes results.jsonl, dead-letters.jsonl, alerts.jsonl, summary.json (with status ok, no-input or ' +
      'analysis-failed), manifest.json (inputs, topology sha256, seed, versions) and report.html. Exit codes: ' +
      '0 ok; 3 no usable input (the previous DIR is kept, this run in DIR.failed-<run id>); 4 analysis failed ' +
      '(outputs replaced: a failed analysis is a result); 5 an input whose rows could not be counted; 1 crash; ' +
      '130/143 stopped by SIGINT/SIGTERM at a checkpoint (previous DIR kept; --resume continues).',
  ],
  examples: [
    'sideband run topologies/quickstart.yaml',
    'sideband run topologies/atlas2024-cwola.yaml --set source.path=events.parquet --out out/atlas',
    "sideband run topologies/lhco-rnd.yaml --set 'source={kind: parquet, path: data/}' --set trigger.minSrEvents=5000",
  ],
};

export const GENERATE: CommandSpec = {
  name: 'generate',
  summary: 'write calibrated QCD-like dijet events (and injected resonances, with a truth label) to Parquet',
  usage: '--events N --out FILE.parquet [options]',
  options: [
    { name: 'events', value: 'N', kind: 'count', required: true, help: 'events in total', example: '1000000' },
    { name: 'out', value: 'FILE', required: true, help: 'Parquet file to write', example: 'events.parquet' },
    { name: 'seed', value: 'S', kind: 'integer', default: '0', help: 'random seed (same seed, same events)' },
    signal,
    { name: 'mjj-min', value: 'GeV', kind: 'number', default: '1100', help: 'lowest background dijet mass' },
    { name: 'mjj-max', value: 'GeV', kind: 'number', default: '8208', help: 'highest background dijet mass' },
    { name: 'batch-size', value: 'N', kind: 'count', default: '65536', help: 'events generated per batch' },
    { name: 'row-group-size', value: 'N', kind: 'count', default: '65536', help: 'rows per Parquet row group' },
    {
      name: 'trigger-pt',
      value: 'GeV',
      kind: 'number',
      help: 'emulate a leading-jet pT trigger: events below it are not written (--events counts generated events)',
      example: '1200',
    },
    {
      name: 'trigger-m50',
      value: 'GeV',
      kind: 'number',
      help: 'emulate an mjj-dependent trigger efficiency: 50 % at this mass (with --trigger-width)',
      example: '2600',
    },
    { name: 'trigger-width', value: 'GeV', kind: 'number', help: 'width of the efficiency turn-on', example: '100' },
    {
      name: 'channel',
      value: 'NAME',
      choices: ['dijet', 'monojet'],
      default: 'dijet',
      help: "monojet: seed 004's jets + MET channel, Z(nunu)+jets with a gamma+jets control and Z' -> X(qqq) Y(invisible) signals",
    },
    {
      name: 'control-fraction',
      value: 'F',
      kind: 'number',
      default: '0.5',
      help: 'monojet: fraction of the events that are gamma+jets control (photon_pt > 0)',
    },
    quiet,
  ],
  examples: [
    'sideband generate --events 1000000 --seed 1 --signal "mA=3500,mB=500,mC=100,n=1000" --out events.parquet',
    'sideband generate --channel monojet --events 400000 --seed 4 --signal "mA=2500,mB=300,mC=100,n=600" --out monojet.parquet',
    'sideband generate --events 2000000 --mjj-min 2200 --trigger-pt 1200 --out triggered.parquet',
  ],
};

export const PRODUCE: CommandSpec = {
  name: 'produce',
  summary: 'replay events into a Kafka topic as Arrow IPC batches or JSON rows',
  usage: '--from FILE.parquet|generate --topic T [options]',
  options: [
    {
      name: 'from',
      value: 'SRC',
      required: true,
      help: "a Parquet file, directory or glob, or 'generate' for generated events",
      example: 'events.parquet',
    },
    { name: 'topic', value: 'T', required: true, help: 'topic to write', example: 'events' },
    { name: 'format', value: 'F', choices: ['arrow', 'json'], default: 'arrow', help: 'message format' },
    { name: 'rate', value: 'R', kind: 'number', help: 'pace the replay at R events per second', example: '50000' },
    {
      name: 'brokers',
      value: 'LIST',
      help: "bootstrap brokers; default: the topology's kafka.brokers, else $KAFKA_BROKERS",
      example: 'localhost:9092',
    },
    { name: 'client-id', value: 'ID', defaultText: 'sideband-produce', help: 'Kafka client id' },
    {
      name: 'topology',
      value: 'FILE',
      help: "take the connection (brokers, SASL, TLS) from this topology's kafka block",
      example: 'deploy/topology.yaml',
    },
    { name: 'events-per-message', value: 'N', kind: 'count', help: 'events per Arrow message (JSON: always 1)' },
    { name: 'partitions', value: 'N', kind: 'count', help: 'create the topic with N partitions if it is missing' },
    { name: 'events', value: 'N', kind: 'count', help: 'with --from generate: events in total (required there)' },
    { name: 'seed', value: 'S', kind: 'integer', default: '0', help: 'with --from generate: random seed' },
    signal,
    insecure,
    quiet,
  ],
  examples: [
    'sideband produce --from events.parquet --topic events --brokers localhost:9092',
    'sideband produce --from generate --events 100000 --topic events --format json --rate 20000',
  ],
};

export const ROUTER: CommandSpec = {
  name: 'router',
  summary: 'scale-out front half: source -> cuts -> a repartition topic keyed by window',
  usage: '<topology.yaml> [options]',
  positionals: [topologyArg],
  options: [set, metricsPort, metricsHost, insecure, quiet],
  notes: ['Runs until its source ends (stopAtEnd) or SIGTERM. See docs/cluster.md.'],
  examples: ['sideband router deploy/topology.yaml --metrics-port 9464'],
};

export const WORKER: CommandSpec = {
  name: 'worker',
  summary: 'scale-out back half: owns the windows of its partitions, checkpoints, writes the results topic',
  usage: '<topology.yaml> [options]',
  positionals: [topologyArg],
  options: [
    set,
    {
      name: 'run-id',
      value: 'ID',
      defaultText: '<topology name>.<group>',
      help: 'run id stamped on the results (and in their keys: workers of one group must agree)',
      example: 'r42',
    },
    metricsPort,
    metricsHost,
    insecure,
    quiet,
  ],
  notes: ['Runs until SIGTERM. See docs/cluster.md.'],
  examples: ['sideband worker deploy/topology.yaml --metrics-port 9465'],
};

export const FIT: CommandSpec = {
  name: 'fit',
  summary: 'fit a binned mjj spectrum with a dijet function or the ATLAS 2024 strategy',
  usage: '--spectrum FILE.csv [options]',
  options: [
    {
      name: 'spectrum',
      value: 'FILE',
      required: true,
      help: 'CSV with columns mjj_low_GeV, mjj_high_GeV, observed (# comments allowed)',
      example: 'spectrum.csv',
    },
    {
      name: 'function',
      value: 'NAME',
      choices: fitNames,
      default: 'auto',
      help: 'fit function; auto runs the ATLAS 2024 strategy (dijet3, dijet4, ua2 until the SB p-value > 0.05)',
    },
    { name: 'sr', value: 'LO,HI', help: 'mask this signal region in GeV from the fit', example: '3300,3700' },
    { name: 'sqrt-s', value: 'GeV', kind: 'number', default: '13000', help: 'centre-of-mass energy' },
    { name: 'objective', value: 'O', choices: ['poisson', 'chi2'], default: 'poisson', help: 'likelihood' },
    json,
  ],
  examples: ['sideband fit --spectrum atlas.csv --function dijet4 --json'],
};

const ZDISC: CommandSpec = {
  name: 'stats zdisc',
  summary: 'discovery significance of n observed over b expected with a background uncertainty',
  usage: '--n N --b B [options]',
  options: [
    { name: 'n', value: 'N', kind: 'number', required: true, help: 'observed events', example: '150' },
    { name: 'b', value: 'B', kind: 'number', required: true, help: 'expected background', example: '100' },
    { name: 'sigma-b', value: 'S', kind: 'number', default: '0', help: 'background uncertainty' },
    {
      name: 'constraint',
      value: 'C',
      choices: ['poisson', 'gaussian'],
      default: 'poisson',
      help: 'how the background uncertainty is constrained',
    },
    json,
  ],
  examples: ['sideband stats zdisc --n 150 --b 100 --sigma-b 7 --json'],
};

const CLS: CommandSpec = {
  name: 'stats cls',
  summary: 'CLs with the asymptotic q~mu statistic over one or more bins',
  usage: '--n a,b --b a,b --sigma-b a,b --s a,b [options]',
  options: [
    { name: 'n', value: 'LIST', kind: 'numbers', help: 'observed per bin', example: '51,48' },
    { name: 'b', value: 'LIST', kind: 'numbers', help: 'background per bin', example: '50,52' },
    {
      name: 'sigma-b',
      value: 'LIST',
      kind: 'numbers',
      help: 'background uncertainty per bin',
      example: '3,7',
    },
    { name: 's', value: 'LIST', kind: 'numbers', help: 'signal per bin', example: '12,11' },
    { name: 'mu', value: 'MU', kind: 'number', default: '1', help: 'signal strength tested' },
    { name: 'limit', help: 'also print the 95 % CL upper limits on mu' },
    {
      name: 'workspace',
      value: 'FILE',
      help: 'a pyhf HistFactory JSON workspace instead of --n/--b/--sigma-b/--s (pyhf conventions)',
      example: 'workspaces/sr-3200-3800-wp0.1.json',
    },
    { name: 'patchset', value: 'FILE', help: 'a pyhf patchset to take --patch from', example: 'patchset.json' },
    { name: 'patch', value: 'NAME', help: 'the patch of --patchset to apply', example: 'gauss-5pct' },
    { name: 'measurement', value: 'NAME', help: "the workspace's measurement (default: the first)" },
    { name: 'test-stat', value: 'T', choices: ['qtilde', 'q'], default: 'qtilde', help: 'test statistic' },
    { name: 'normsys', value: 'CODE', choices: ['code4', 'code1'], default: 'code4', help: 'normsys interpolation' },
    {
      name: 'histosys',
      value: 'CODE',
      choices: ['code4p', 'code0'],
      default: 'code4p',
      help: 'histosys interpolation',
    },
    json,
  ],
  notes: ['With --workspace the counting options are not needed; without it --n, --b, --sigma-b and --s are required.'],
  examples: [
    'sideband stats cls --n 51,48 --b 50,52 --sigma-b 3,7 --s 12,11 --limit --json',
    'sideband stats cls --workspace out/quickstart/workspaces/sr-3200-3800-wp0.1.json --limit --json',
  ],
};

const BUMPHUNT: CommandSpec = {
  name: 'stats bumphunt',
  summary: 'BumpHunter scan of a spectrum over its fit, with a global p-value from pseudo-experiments',
  usage: '--spectrum FILE.csv [options]',
  options: [
    { name: 'spectrum', value: 'FILE', required: true, help: 'CSV as for sideband fit', example: 'spectrum.csv' },
    { name: 'function', value: 'NAME', choices: FIT_FUNCTION_NAMES, default: 'dijet4', help: 'background fit' },
    { name: 'sqrt-s', value: 'GeV', kind: 'number', default: '13000', help: 'centre-of-mass energy' },
    { name: 'pseudo-experiments', value: 'N', kind: 'count', default: '1000', help: 'for the global p-value' },
    { name: 'seed', value: 'S', kind: 'integer', default: '1', help: 'seed of the pseudo-experiments' },
    { name: 'min-width', value: 'BINS', kind: 'count', default: '1', help: 'narrowest interval scanned' },
    { name: 'max-width', value: 'BINS', kind: 'count', defaultText: 'half the bins', help: 'widest interval' },
    json,
  ],
  examples: ['sideband stats bumphunt --spectrum atlas.csv --function dijet4 --pseudo-experiments 1000 --json'],
};

export const STATS: CommandSpec = {
  name: 'stats',
  summary: 'closed-form significance, CLs limits and the BumpHunter scan, for checking numbers against other tools',
  usage: 'zdisc|cls|bumphunt [options]',
  options: [],
  subcommands: [ZDISC, CLS, BUMPHUNT],
  examples: ['sideband stats zdisc --help', 'sideband stats zdisc --n 150 --b 100 --sigma-b 7'],
};

const widths: OptionSpec = {
  name: 'widths',
  value: 'LIST',
  kind: 'numbers',
  default: '1,2,3,4',
  help: 'signal widths (Gaussian σ in bins) of the z_PL targets',
};

const DDP_GENERATE: CommandSpec = {
  name: 'ddp generate',
  summary: 'write a DDP training set: histograms of smooth backgrounds with Gaussian signals and z_PL targets',
  usage: '--histograms N --out FILE.parquet [options]',
  options: [
    { name: 'histograms', value: 'N', kind: 'integer', required: true, help: 'histograms to write', example: '100000' },
    { name: 'out', value: 'FILE', required: true, help: 'Parquet file to write', example: 'ddp-train.parquet' },
    { name: 'seed', value: 'S', kind: 'integer', default: '0', help: 'random seed (same seed, same file)' },
    { name: 'bins-min', value: 'N', kind: 'count', default: '30', help: 'fewest bins of a histogram' },
    { name: 'bins-max', value: 'N', kind: 'count', default: '100', help: 'most bins of a histogram' },
    { name: 'range-min', value: 'N', kind: 'number', default: '10', help: 'fewest expected events in an end bin' },
    { name: 'range-max', value: 'N', kind: 'number', default: '100000', help: 'most expected events in an end bin' },
    widths,
    { name: 'z-min', value: 'Z', kind: 'number', default: '0', help: 'smallest injected significance' },
    { name: 'z-max', value: 'Z', kind: 'number', default: '20', help: 'largest injected significance' },
    {
      name: 'fit-fraction',
      value: 'F',
      kind: 'number',
      default: '0.5',
      help: 'share of backgrounds from fitted shapes',
    },
    { name: 'cut-fraction', value: 'F', kind: 'number', default: '0.5', help: 'share of cut-and-stretch variants' },
    { name: 'first', value: 'K', kind: 'integer', default: '0', help: 'index of the first histogram (shards)' },
    { name: 'row-group', value: 'N', kind: 'count', default: '4096', help: 'histograms per Parquet row group' },
    json,
    quiet,
  ],
  examples: ['sideband ddp generate --histograms 100000 --seed 1 --out ddp-train.parquet'],
};

const DDP_SCAN: CommandSpec = {
  name: 'ddp scan',
  summary: 'per-bin significance of a spectrum: the fit-based reference scan, or a trained DDP network',
  usage: '--spectrum FILE.csv [options]',
  options: [
    { name: 'spectrum', value: 'FILE', required: true, help: 'CSV as for sideband fit', example: 'spectrum.csv' },
    { name: 'model', value: 'M', default: 'fit', help: "'fit' (background from a dijet fit) or a trained model file" },
    {
      name: 'background',
      value: 'B',
      choices: ['fit', 'csv'],
      default: 'fit',
      help: "with --model fit: the background of the fit, or the CSV's own fit column",
    },
    { name: 'function', value: 'NAME', choices: FIT_FUNCTION_NAMES, default: 'dijet4', help: 'fit function' },
    { name: 'sqrt-s', value: 'GeV', kind: 'number', default: '13000', help: 'centre-of-mass energy' },
    widths,
    { name: 'out', value: 'FILE', help: 'also write the scan as JSON', example: 'scan.json' },
    { name: 'plot', value: 'FILE', help: 'write a plot like seed 002 Fig. 5 (.png or .svg)', example: 'scan.png' },
    json,
  ],
  examples: ['sideband ddp scan --spectrum atlas.csv --plot scan.png --json'],
};

const DDP_PLOT: CommandSpec = {
  name: 'ddp plot',
  summary: 'plot one histogram of a training set with its targets',
  usage: '--set FILE.parquet --out FILE.png [options]',
  options: [
    { name: 'set', value: 'FILE', required: true, help: 'a training set from ddp generate', example: 'ddp.parquet' },
    { name: 'out', value: 'FILE', required: true, help: 'plot file (.png or .svg)', example: 'hist.png' },
    { name: 'index', value: 'K', kind: 'integer', default: '0', help: 'index of the histogram' },
  ],
  examples: ['sideband ddp plot --set ddp-train.parquet --index 7 --out hist.png'],
};

const DDP_TRAIN: CommandSpec = {
  name: 'ddp train',
  summary: 'train the Znet3 network (seed 002 §5.1) on a training set or on histograms generated in memory',
  usage: '--set FILE.parquet|--histograms N --out MODEL.json [options]',
  options: [
    { name: 'set', value: 'FILE', help: 'a training set from ddp generate', example: 'ddp-train.parquet' },
    { name: 'histograms', value: 'N', kind: 'integer', help: 'generate N histograms of seed --seed in memory instead' },
    {
      name: 'out',
      value: 'FILE',
      required: true,
      help: 'model file (JSON), rewritten after every epoch',
      example: 'model.json',
    },
    {
      name: 'seed',
      value: 'S',
      kind: 'integer',
      default: '0',
      help: 'seed of the weights, split, shuffles (and of --histograms)',
    },
    { name: 'epochs', value: 'E', kind: 'count', default: '10', help: 'epochs' },
    { name: 'batch', value: 'N', kind: 'count', default: '128', help: 'histograms per step' },
    { name: 'lr', value: 'X', kind: 'number', default: '0.001', help: 'Adam learning rate (x gamma per epoch)' },
    { name: 'gamma', value: 'X', kind: 'number', default: '0.9', help: 'learning-rate decay per epoch' },
    { name: 'validation', value: 'F', kind: 'number', default: '0.05', help: 'share held out for validation' },
    { name: 'kernels', value: 'K,K,…', default: '3,9,17,33', help: 'kernel sizes of the parallel convolutions' },
    { name: 'branch-channels', value: 'N', kind: 'count', default: '12', help: 'channels per convolution' },
    { name: 'head', value: 'N,N,…', default: '48,24', help: 'hidden widths of the per-bin head' },
    { name: 'resume', help: 'continue from the checkpoint in --out (its epoch count)' },
    json,
    quiet,
  ],
  examples: ['sideband ddp train --histograms 200000 --seed 1 --epochs 6 --out models/ddp-znet3.json'],
};

export const DDP: CommandSpec = {
  name: 'ddp',
  summary: 'DDP neural bump hunter (seed 002): training sets, the reference scan, plots',
  usage: 'generate|scan|plot|train [options]',
  options: [],
  subcommands: [DDP_GENERATE, DDP_SCAN, DDP_PLOT, DDP_TRAIN],
  examples: ['sideband ddp generate --help', 'sideband ddp scan --spectrum atlas.csv --plot scan.png'],
};

export const VALIDATE: CommandSpec = {
  name: 'validate',
  summary: 'run a topology over signal-free pseudo-datasets: Z median and spread per window, and a calibration',
  usage: '<topology.yaml> [options]',
  positionals: [topologyArg],
  options: [
    {
      name: 'sources',
      value: 'LIST',
      default: 'generator,down-up,control',
      help: 'pseudo-data: the generator without signal, down-up sampling of the data, the inverted-|Δy| control region',
    },
    { name: 'samples', value: 'N', kind: 'count', default: '20', help: 'pseudo-datasets per source' },
    { name: 'seed', value: 'S', kind: 'integer', default: '1', help: 'seed of the samples (same seed, same samples)' },
    {
      name: 'calibrate-from',
      value: 'SRC',
      defaultText: 'down-up if run, else generator, else control',
      help: 'the source whose samples make calibration.json',
    },
    { name: 'out', value: 'DIR', defaultText: 'out/<topology name>-validation', help: 'output directory' },
    {
      name: 'mode',
      value: 'M',
      choices: ['standardize', 'seed000'],
      default: 'standardize',
      help: "calibration: per window (Z − mean)/std, or seed 000's linear-in-mjj mean correction (only downwards)",
    },
    {
      name: 'keep-calibration',
      help: "keep the topology's calibration applied, to check it on fresh samples (no new calibration is written)",
    },
    set,
    quiet,
  ],
  notes: [
    'Writes validation.json (every sample’s Z per window and working point), calibration.json and validation.html. ' +
      'A window is valid when its median Z and its spread are both below 1 (seed 000 §V.E). Name the calibration ' +
      'in the topology (calibration: DIR/calibration.json) and later runs report calibrated Z and mark the windows ' +
      'that failed as invalid.',
  ],
  examples: [
    'sideband validate topologies/atlas2024-cwola.yaml --samples 20',
    'sideband validate topologies/quickstart.yaml --sources generator --samples 10 --out out/qs-validation',
  ],
};

export const INJECT: CommandSpec = {
  name: 'inject',
  summary: 'signal injection scan: Z against the injected signal, and 95 % CL limits from injection (seed 000 §V.D.5)',
  usage: '<topology.yaml> --signal SPEC --amounts LIST [options]',
  positionals: [topologyArg],
  options: [
    {
      name: 'signal',
      value: 'SPEC',
      required: true,
      help: 'the resonance A -> B C to inject (masses in GeV; widths optional)',
      example: '"mA=3500,mB=500,mC=100"',
    },
    {
      name: 'amounts',
      value: 'LIST',
      required: true,
      help: 'injected signal events, one run (per seed) for each',
      example: '0,100,200,400,800',
    },
    { name: 'seeds', value: 'N', kind: 'count', default: '1', help: 'runs per amount, with different seeds' },
    { name: 'seed', value: 'S', kind: 'integer', default: '1', help: 'seed of the injections' },
    { name: 'out', value: 'DIR', defaultText: 'out/<topology name>-injection', help: 'output directory' },
    set,
    quiet,
  ],
  notes: [
    'Every run retrains the classifiers on the data with the injected events. Writes injection.json and injection.html. ' +
      'A generator topology gets the signal in its stream; a Parquet topology of generated columns reads its file, then ' +
      'the injected events.',
  ],
  examples: ['sideband inject topologies/quickstart.yaml --signal "mA=3500,mB=500,mC=100" --amounts 0,100,200,400'],
};

/** Commands in the order `sideband --help` lists them. */
export const COMMAND_SPECS: CommandSpec[] = [RUN, VALIDATE, INJECT, GENERATE, PRODUCE, ROUTER, WORKER, FIT, STATS, DDP];

/** A subcommand's table by its word ('zdisc' of stats). */
export function subcommand(spec: CommandSpec, word: string | undefined): CommandSpec | undefined {
  return spec.subcommands?.find((c) => c.name.split(' ').pop() === word);
}

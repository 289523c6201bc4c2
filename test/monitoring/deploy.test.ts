/**
 * Deployment files, checked without a container engine (none on the build machine): they parse, they name files
 * that exist, the ports, jobs and labels agree with each other and with the topology, and the cluster topology
 * passes the product's own topology and Kafka validation.
 */
import { describe, it, expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../helpers/paths.js';
import { loadTopology } from '../../src/topology/load.js';
import { kafkaSourceSettings, scaleOutConfig } from '../../src/kafka/config.js';

const deployDir = path.join(repoRoot, 'deploy');
const read = (p: string) => fs.readFileSync(path.join(repoRoot, p), 'utf8');
// Parsed YAML documents are untyped trees; the assertions below are the schema.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML manifests of any shape, read field by field
type Obj = Record<string, any>;

const compose = YAML.parse(read('deploy/docker-compose.yml'), { merge: true }) as Obj;
const k8sDocs: Obj[] = fs
  .readdirSync(path.join(deployDir, 'k8s'))
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) =>
    YAML.parseAllDocuments(read(`deploy/k8s/${f}`)).map((d) => {
      if (d.errors.length) throw new Error(`deploy/k8s/${f}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as Obj;
    }),
  );
const byKind = (kind: string, name: string) => k8sDocs.find((d) => d.kind === kind && d.metadata?.name === name);

describe('deploy/topology.yaml', () => {
  it('passes the topology validation and the Kafka source and scale-out validation', async () => {
    const t = await loadTopology(path.join(deployDir, 'topology.yaml'));
    expect(t.source.kind).toBe('kafka');
    // Issue 19, probe 8: the topology names the port only; the deployment chooses the address to bind.
    expect(t.metrics).toEqual({ port: 9464 });
    const saved = process.env.KAFKA_BROKERS;
    process.env.KAFKA_BROKERS = 'kafka:9092';
    try {
      const src = kafkaSourceSettings(t);
      expect(src.connection.brokers).toEqual(['kafka:9092']);
      expect(src.topics).toEqual(['sideband.events']);
      const so = scaleOutConfig(t);
      expect(so).toMatchObject({
        repartitionTopic: 'sideband.windows',
        group: 'sideband-workers',
        checkpointDir: '/var/lib/sideband/checkpoints',
      });
      expect(byKind('Deployment', 'sideband-worker')!.spec.replicas).toBeLessThanOrEqual(so.partitions);
      expect(compose.services.worker.deploy.replicas).toBeLessThanOrEqual(so.partitions);
    } finally {
      if (saved === undefined) delete process.env.KAFKA_BROKERS;
      else process.env.KAFKA_BROKERS = saved;
    }
  });
});

describe('deploy/Dockerfile', () => {
  const df = read('deploy/Dockerfile');
  it('builds on Node 20, compiles, installs production dependencies only, and runs the CLI', () => {
    const froms = [...df.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBe(2);
    for (const f of froms) expect(f).toMatch(/^node:20-/);
    expect(df).toMatch(/^RUN npm ci --omit=dev/m);
    expect(df).toMatch(/npx tsc -p tsconfig.json/);
    expect(df).toMatch(/^ENTRYPOINT \["node", "bin\/sideband.js"\]/m);
    expect(df).toMatch(/^EXPOSE 9464$/m);
    expect(df).toMatch(/^USER node$/m);
  });
  it('copies only paths that exist in the repository', () => {
    const sources = [...df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) expect([s, fs.existsSync(path.join(repoRoot, s))]).toEqual([s, true]);
    // bin/sideband.js runs dist/src/cli/main.js, which the build stage produces from src/cli/main.ts
    expect(fs.readFileSync(path.join(repoRoot, 'bin/sideband.js'), 'utf8')).toContain('../dist/src/cli/main.js');
    expect(fs.existsSync(path.join(repoRoot, 'src/cli/main.ts'))).toBe(true);
  });
});

describe('deploy/docker-compose.yml', () => {
  const s = compose.services;
  it('runs a single-node KRaft Kafka (no ZooKeeper)', () => {
    expect(s.kafka.image).toMatch(/^apache\/kafka:/);
    expect(s.kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(s.kafka.environment.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe('1@kafka:9093');
    expect(Object.keys(s)).not.toContain('zookeeper');
    expect(s.kafka.healthcheck.test.join(' ')).toContain('kafka-broker-api-versions.sh');
  });
  it('runs one router and N workers on the topology, after Kafka is healthy', () => {
    expect(s.router.command.slice(0, 2)).toEqual(['router', '/etc/sideband/topology.yaml']);
    expect(s.worker.command.slice(0, 2)).toEqual(['worker', '/etc/sideband/topology.yaml']);
    expect(s.worker.deploy.replicas).toBeGreaterThan(1);
    for (const svc of [s.router, s.worker]) {
      expect(svc.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(svc.environment.KAFKA_BROKERS).toBe('kafka:9092');
      expect(svc.depends_on.kafka.condition).toBe('service_healthy');
      expect(svc.volumes).toContain('./topology.yaml:/etc/sideband/topology.yaml:ro');
    }
    expect(s.worker.volumes).toContain('checkpoints:/var/lib/sideband/checkpoints');
    expect(fs.existsSync(path.join(deployDir, '..', 'deploy/Dockerfile'))).toBe(true);
  });
  it('binds router and worker metrics inside their containers only: not published to the host', () => {
    for (const name of ['router', 'worker']) {
      expect(s[name].command.slice(-2)).toEqual(['--metrics-host', '0.0.0.0']);
      expect(s[name].ports).toBeUndefined();
    }
  });
  it('mounts the monitoring folders that exist, into the paths the configs expect', () => {
    const mounts = [...s.prometheus.volumes, ...s.grafana.volumes].filter((v: string) => v.startsWith('.'));
    for (const m of mounts) {
      const host = m.split(':')[0];
      expect([host, fs.existsSync(path.resolve(deployDir, host))]).toEqual([host, true]);
    }
    expect(s.prometheus.volumes).toContain('../monitoring/prometheus:/etc/prometheus:ro');
    expect(s.prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const prom = YAML.parse(read('monitoring/prometheus/prometheus.yml')) as Obj;
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    // scrape jobs reach the services on the topology's metrics port; job names match the rules' job=~"sideband.*"
    const jobs = prom.scrape_configs.filter((j: Obj) => j.job_name.startsWith('sideband'));
    expect(jobs.map((j: Obj) => j.job_name).sort()).toEqual(['sideband-router', 'sideband-worker']);
    expect(jobs.find((j: Obj) => j.job_name === 'sideband-router').static_configs[0].targets).toEqual(['router:9464']);
    expect(jobs.find((j: Obj) => j.job_name === 'sideband-worker').dns_sd_configs[0]).toMatchObject({
      names: ['worker'],
      port: 9464,
    });
    const provisioning = YAML.parse(read('monitoring/grafana/provisioning/dashboards/sideband.yml')) as Obj;
    expect(s.grafana.volumes).toContain(
      `../monitoring/grafana/dashboards:${provisioning.providers[0].options.path}:ro`,
    );
    const ds = YAML.parse(read('monitoring/grafana/provisioning/datasources/prometheus.yml')) as Obj;
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' });
    const dash = JSON.parse(read('monitoring/grafana/dashboards/sideband.json')) as Obj;
    expect(dash.templating.list.find((v: Obj) => v.name === 'datasource').current.value).toBe(ds.datasources[0].uid);
  });
});

describe('deploy/k8s', () => {
  it('parses into well-formed objects in the sideband namespace, all listed in the kustomization', () => {
    const kust = YAML.parse(read('deploy/k8s/kustomization.yaml')) as Obj;
    for (const r of kust.resources as string[])
      expect([r, fs.existsSync(path.join(deployDir, 'k8s', r))]).toEqual([r, true]);
    expect(kust.resources.length).toBe(
      fs.readdirSync(path.join(deployDir, 'k8s')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .length,
    );
    for (const d of k8sDocs) {
      expect(typeof d.apiVersion).toBe('string');
      expect(typeof d.kind).toBe('string');
      expect(typeof d.metadata.name).toBe('string');
      if (d.kind !== 'Namespace') expect(d.metadata.namespace).toBe('sideband');
    }
  });
  it('carries the topology verbatim as a ConfigMap mounted where the commands read it', () => {
    const cm = byKind('ConfigMap', 'sideband-topology')!;
    expect(cm.data['topology.yaml']).toBe(read('deploy/topology.yaml'));
    for (const name of ['sideband-router', 'sideband-worker']) {
      const pod = byKind('Deployment', name)!.spec.template.spec;
      const c = pod.containers[0];
      // Metrics bind the pod's own address (the downward API), where the Service and the probes reach them.
      expect(c.args).toEqual([
        name.replace('sideband-', ''),
        '/etc/sideband/topology.yaml',
        '--metrics-host',
        '$(POD_IP)',
      ]);
      expect(c.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
      const mount = c.volumeMounts.find((m: Obj) => m.name === 'topology');
      expect(mount.mountPath).toBe('/etc/sideband');
      expect(pod.volumes.find((v: Obj) => v.name === 'topology').configMap.name).toBe('sideband-topology');
      expect(c.envFrom[0].configMapRef.name).toBe('sideband-kafka');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    }
  });
  it('runs workers as one scalable Deployment sharing the checkpoint volume', () => {
    const w = byKind('Deployment', 'sideband-worker')!;
    expect(w.spec.replicas).toBeGreaterThan(1);
    expect(w.spec.selector.matchLabels).toEqual(w.spec.template.metadata.labels);
    const pvc = byKind('PersistentVolumeClaim', 'sideband-checkpoints')!;
    expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
    const mount = w.spec.template.spec.containers[0].volumeMounts.find((m: Obj) => m.name === 'checkpoints');
    expect(mount.mountPath).toBe('/var/lib/sideband/checkpoints');
  });
  it('exposes metrics through Services and pods annotated for Prometheus, selecting the Deployments', () => {
    for (const comp of ['router', 'worker']) {
      const svc = byKind('Service', `sideband-${comp}`)!;
      expect(svc.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9464',
        'prometheus.io/path': '/metrics',
      });
      const dep = byKind('Deployment', `sideband-${comp}`)!;
      expect(dep.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
      expect(dep.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
      expect(dep.spec.template.spec.containers[0].ports[0]).toEqual({ name: 'metrics', containerPort: 9464 });
    }
    const promK8s = YAML.parse(read('monitoring/prometheus/prometheus-kubernetes.yml')) as Obj;
    const relabel = promK8s.scrape_configs[0].relabel_configs as Obj[];
    expect(relabel[0]).toMatchObject({
      source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'],
      action: 'keep',
    });
    expect(relabel.find((r) => r.target_label === 'job')?.replacement).toBe('sideband-$1');
  });
});

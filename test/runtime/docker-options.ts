import t from 'tap';
import {
  DockerOptionsContext,
  SHORT_DOCKER_OPTIONS,
  SUPPORTED_DOCKER_OPTIONS,
  parseDockerOptions,
  parseDuration,
  parseSize,
  splitShellWords,
} from '../../src/runtime/docker-options';

const FILES: Record<string, string> = {
  '/etc/berth/app.env': '# comment\n\nA=1\n  B=two words \nHOME\nNOPE\nEMPTY=\n',
  '/etc/berth/bad.env': 'A=1\n=oops\n',
  '/etc/berth/seccomp.json': '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n',
};
const ctx: DockerOptionsContext = {
  readFile: (path) => {
    if (path in FILES) return FILES[path];
    throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  },
  lookupEnv: (name) => ({ HOME: '/root' } as Record<string, string | undefined>)[name],
};
const parse = (options: string | undefined) => parseDockerOptions(options, ctx);

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

// [options, expected create fragment]; every supported option appears in at least one case.
const valid: [string | undefined, object][] = [
  [undefined, {}],
  ['', {}],
  ['  \n\t ', {}],
  ['-e A=1 --env B=2 -eC=3 --env=D=4 -e=E=5', { Env: ['A=1', 'B=2', 'C=3', 'D=4', 'E=5'] }],
  ['-e HOME -e UNSET_IN_CALLER -e X=', { Env: ['HOME=/root', 'X='] }],
  ['-e Z=9 --env-file /etc/berth/app.env', { Env: ['A=1', 'B=two words ', 'HOME=/root', 'EMPTY=', 'Z=9'] }],
  ['--log-driver=journald --log-opt tag=web --log-opt max-size=10m', { HostConfig: { LogConfig: { Type: 'journald', Config: { tag: 'web', 'max-size': '10m' } } } }],
  ['--log-driver none', { HostConfig: { LogConfig: { Type: 'none', Config: {} } } }],
  ['--log-opt mode=non-blocking', { HostConfig: { LogConfig: { Type: '', Config: { mode: 'non-blocking' } } } }],
  ['--cap-add NET_ADMIN --cap-add=cap_sys_time --cap-drop ALL', { HostConfig: { CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'], CapDrop: ['ALL'] } }],
  ['-m 512m', { HostConfig: { Memory: 512 * MiB } }],
  ['--memory=1g', { HostConfig: { Memory: GiB } }],
  ['--memory 1.5GiB', { HostConfig: { Memory: 1.5 * GiB } }],
  ['-m6291456', { HostConfig: { Memory: 6 * MiB } }],
  ['--memory 7000k -m 64mb', { HostConfig: { Memory: 64 * MiB } }], // the last one wins, as in docker
  ['--cpus 1.5', { HostConfig: { NanoCpus: 1.5e9 } }],
  ['--cpus=.25', { HostConfig: { NanoCpus: 0.25e9 } }],
  ['-u www-data:www-data', { User: 'www-data:www-data' }],
  ['--user=1000', { User: '1000' }],
  ['-w /srv/app', { WorkingDir: '/srv/app' }],
  ['--workdir=/', { WorkingDir: '/' }],
  ['--read-only', { HostConfig: { ReadonlyRootfs: true } }],
  ['--read-only=false', { HostConfig: { ReadonlyRootfs: false } }],
  ['--tmpfs /run --tmpfs /tmp:size=64m,noexec,mode=1777', { HostConfig: { Tmpfs: { '/run': '', '/tmp': 'size=64m,noexec,mode=1777' } } }],
  ['--ulimit nofile=1024:2048 --ulimit core=-1 --ulimit nproc=10:-1', { HostConfig: { Ulimits: [
    { Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'core', Soft: -1, Hard: -1 }, { Name: 'nproc', Soft: 10, Hard: -1 },
  ] } }],
  ['-l tier=web --label owner="ops team" -lflag', { Labels: { tier: 'web', owner: 'ops team', flag: '' } }],
  ['--label berth.test=run-1', { Labels: { 'berth.test': 'run-1' } }],
  ['--privileged', { HostConfig: { Privileged: true } }],
  ['--dns 127.0.0.53 --dns=::1', { HostConfig: { Dns: ['127.0.0.53', '::1'] } }],
  [
    `--health-cmd 'wget -q -O /dev/null http://127.0.0.1/ || exit 1' --health-interval 1m30s --health-timeout=500ms --health-retries 3 --health-start-period 2s`,
    { Healthcheck: { Test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1/ || exit 1'], Interval: 90e9, Timeout: 500e6, StartPeriod: 2e9, Retries: 3 } },
  ],
  ['--health-interval 0 --health-retries=0', { Healthcheck: { Interval: 0, Retries: 0 } }],
  ['--no-healthcheck', { Healthcheck: { Test: ['NONE'] } }],
  ['--shm-size 64m', { HostConfig: { ShmSize: 64 * MiB } }],
  ['--sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmax=1000 --sysctl fs/mqueue/msg_max=20', { HostConfig: { Sysctls: {
    'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'fs.mqueue.msg_max': '20',
  } } }],
  ['--device /dev/fuse --device=/dev/sda:/dev/xvda:r --device /dev/net/tun:rw', { HostConfig: { Devices: [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' },
    { PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rw' },
  ] } }],
  ['--security-opt no-new-privileges --security-opt label=disable --security-opt label:type:svirt_t --security-opt apparmor=unconfined --security-opt systempaths=unconfined', { HostConfig: {
    SecurityOpt: ['no-new-privileges', 'label=disable', 'label=type:svirt_t', 'apparmor=unconfined', 'systempaths=unconfined'],
  } }],
  ['--security-opt no-new-privileges:false --security-opt seccomp=unconfined', { HostConfig: { SecurityOpt: ['no-new-privileges=false', 'seccomp=unconfined'] } }],
  ['--security-opt seccomp=/etc/berth/seccomp.json', { HostConfig: { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] } }],
  ['--init', { HostConfig: { Init: true } }],
  // quoting: single quotes literal, double quotes with escapes, backslashes outside quotes
  [`-e 'A=it'"'"'s $HOME' -e "B=say \\"hi\\" \\\\ \\$x \\n" -e C=a\\ b -e D="x"'y'z -e ''E=1`, { Env: ['A=it\'s $HOME', 'B=say "hi" \\ $x \\n', 'C=a b', 'D=xyz', 'E=1'] }],
  ['--log-driver=json-file -m 256m -e A=1', { Env: ['A=1'], HostConfig: { LogConfig: { Type: 'json-file', Config: {} }, Memory: 256 * MiB } }],
  // what real (OpenStack) bundles ask for: podman's k8s-file is the engine's json-file
  ['--log-driver=k8s-file --user=root', { User: 'root', HostConfig: { LogConfig: { Type: 'json-file', Config: {} } } }],
  ['--ipc=host --pid host --uts=host --userns=host', { HostConfig: { IpcMode: 'host', PidMode: 'host', UTSMode: 'host', UsernsMode: 'host' } }],
  ['--ipc private', { HostConfig: { IpcMode: 'private' } }],
  ['--ipc=shareable --ipc none', { HostConfig: { IpcMode: 'none' } }],
  ['--net=host', { HostConfig: { NetworkMode: 'host' } }],
  ['--network bridge', { HostConfig: { NetworkMode: 'bridge' } }],
  ['--hostname db-0.example -h db', { Hostname: 'db' }],
];

t.test('valid options become create options', async (t) => {
  for (const [options, expected] of valid) {
    const r = parse(options);
    t.strictSame(r, { create: expected, problems: [] }, String(options));
  }
});

t.test('every supported option, long and short, has a valid case', async (t) => {
  const used = valid.map(([o]) => o ?? '').join(' ');
  for (const name of SUPPORTED_DOCKER_OPTIONS) t.ok(new RegExp(`(^|[\\s])${name}([\\s=]|$)`).test(used), name);
  for (const short of Object.keys(SHORT_DOCKER_OPTIONS)) t.ok(new RegExp(`(^|\\s)${short}`).test(used), short);
  t.strictSame(
    [...SUPPORTED_DOCKER_OPTIONS].sort(),
    ['--cap-add', '--cap-drop', '--cpus', '--device', '--dns', '--env', '--env-file', '--health-cmd', '--health-interval',
      '--health-retries', '--health-start-period', '--health-timeout', '--hostname', '--init', '--ipc', '--label', '--log-driver', '--log-opt',
      '--memory', '--network', '--no-healthcheck', '--pid', '--privileged', '--read-only', '--security-opt', '--shm-size', '--sysctl',
      '--tmpfs', '--ulimit', '--user', '--userns', '--uts', '--workdir'],
  );
  t.strictSame(SHORT_DOCKER_OPTIONS, { '-e': '--env', '-h': '--hostname', '-l': '--label', '-m': '--memory', '-u': '--user', '-w': '--workdir' });
});

interface Expected { code: 'DOCKER_OPTION_UNSUPPORTED' | 'DOCKER_OPTION_INVALID'; value: string | undefined; option?: string; allowed?: RegExp }

// [options, expected problems in order]; `option` must be named in the message.
const invalid: [string, Expected[]][] = [
  ['--publish 80:80 -e A=1', [{ code: 'DOCKER_OPTION_UNSUPPORTED', value: '--publish', option: 'port-map' }]],
  ['-p 80:80', [{ code: 'DOCKER_OPTION_UNSUPPORTED', value: '-p' }]],
  ['--ip=10.0.0.1', [{ code: 'DOCKER_OPTION_UNSUPPORTED', value: '--ip', option: 'ip-range-start=' }]],
  ['--network=container:db', [{ code: 'DOCKER_OPTION_INVALID', value: 'container:db', option: 'berth replaces containers', allowed: /host, bridge/ }]],
  ['--net "a b"', [{ code: 'DOCKER_OPTION_INVALID', value: 'a b', option: '--network' }]],
  ['--ipc=container:db', [{ code: 'DOCKER_OPTION_INVALID', value: 'container:db', option: 'berth replaces containers', allowed: /host, private, shareable, none/ }]],
  ['--pid=private', [{ code: 'DOCKER_OPTION_INVALID', value: 'private', option: '--pid', allowed: /^host$/ }]],
  ['--uts=container:x --userns=private', [{ code: 'DOCKER_OPTION_INVALID', value: 'container:x', option: '--uts' }, { code: 'DOCKER_OPTION_INVALID', value: 'private', option: '--userns' }]],
  ['--hostname -bad', [{ code: 'DOCKER_OPTION_INVALID', value: '-bad', option: '--hostname', allowed: /host name/ }]],
  ['-it --frobnicate', [{ code: 'DOCKER_OPTION_UNSUPPORTED', value: '-i' }, { code: 'DOCKER_OPTION_UNSUPPORTED', value: '--frobnicate' }]],
  ['httpd', [{ code: 'DOCKER_OPTION_INVALID', value: 'httpd', allowed: /options only/ }]],
  ['-e A=1 --', [{ code: 'DOCKER_OPTION_INVALID', value: '--' }]],
  ['--memory', [{ code: 'DOCKER_OPTION_INVALID', value: '--memory', option: '--memory', allowed: /value/ }]],
  ['-e', [{ code: 'DOCKER_OPTION_INVALID', value: '-e', option: '--env' }]],
  ["-e 'A=1", [{ code: 'DOCKER_OPTION_INVALID', value: "-e 'A=1", allowed: /quote/ }]],
  ['-e "A=1', [{ code: 'DOCKER_OPTION_INVALID', value: '-e "A=1', allowed: /quote/ }]],
  ['-e A=1\\', [{ code: 'DOCKER_OPTION_INVALID', value: '-e A=1\\' }]],
  ['-e =x', [{ code: 'DOCKER_OPTION_INVALID', value: '=x', option: '--env', allowed: /NAME=VALUE/ }]],
  ['--env-file app.env', [{ code: 'DOCKER_OPTION_INVALID', value: 'app.env', option: '--env-file', allowed: /absolute/ }]],
  ['--env-file /etc/berth/missing.env', [{ code: 'DOCKER_OPTION_INVALID', value: '/etc/berth/missing.env', option: 'ENOENT' }]],
  ['--env-file /etc/berth/bad.env', [{ code: 'DOCKER_OPTION_INVALID', value: '/etc/berth/bad.env', option: 'line 2' }]],
  ['--log-driver "bad driver"', [{ code: 'DOCKER_OPTION_INVALID', value: 'bad driver', option: '--log-driver' }]],
  ['--log-opt max-size', [{ code: 'DOCKER_OPTION_INVALID', value: 'max-size', option: '--log-opt', allowed: /KEY=VALUE/ }]],
  ['--cap-add NOT_A_CAP', [{ code: 'DOCKER_OPTION_INVALID', value: 'NOT_A_CAP', option: '--cap-add', allowed: /capability/ }]],
  ['--cap-drop ""', [{ code: 'DOCKER_OPTION_INVALID', value: '', option: '--cap-drop' }]],
  ['--memory lots', [{ code: 'DOCKER_OPTION_INVALID', value: 'lots', option: '--memory', allowed: /size/ }]],
  ['-m 1m', [{ code: 'DOCKER_OPTION_INVALID', value: '1m', option: '--memory', allowed: /at least 6m/ }]],
  ['-m 12x', [{ code: 'DOCKER_OPTION_INVALID', value: '12x', option: '--memory' }]],
  ['--cpus 0', [{ code: 'DOCKER_OPTION_INVALID', value: '0', option: '--cpus', allowed: /0\.01/ }]],
  ['--cpus two', [{ code: 'DOCKER_OPTION_INVALID', value: 'two', option: '--cpus' }]],
  ['-u "a b"', [{ code: 'DOCKER_OPTION_INVALID', value: 'a b', option: '--user', allowed: /USER\[:GROUP\]/ }]],
  ['--user a:b:c', [{ code: 'DOCKER_OPTION_INVALID', value: 'a:b:c', option: '--user' }]],
  ['-w srv', [{ code: 'DOCKER_OPTION_INVALID', value: 'srv', option: '--workdir', allowed: /absolute/ }]],
  ['--workdir /srv/../etc', [{ code: 'DOCKER_OPTION_INVALID', value: '/srv/../etc', option: '--workdir' }]],
  ['--read-only=maybe', [{ code: 'DOCKER_OPTION_INVALID', value: 'maybe', option: '--read-only', allowed: /true or false/ }]],
  ['--privileged=yes', [{ code: 'DOCKER_OPTION_INVALID', value: 'yes', option: '--privileged' }]],
  ['--init=2', [{ code: 'DOCKER_OPTION_INVALID', value: '2', option: '--init' }]],
  ['--tmpfs tmp', [{ code: 'DOCKER_OPTION_INVALID', value: 'tmp', option: '--tmpfs', allowed: /absolute/ }]],
  ['--tmpfs "/tmp:size=1m, exec"', [{ code: 'DOCKER_OPTION_INVALID', value: '/tmp:size=1m, exec', option: '--tmpfs' }]],
  ['--ulimit nofile=2048:1024', [{ code: 'DOCKER_OPTION_INVALID', value: 'nofile=2048:1024', option: 'soft limit', allowed: /SOFT not above HARD/ }]],
  ['--ulimit files=10', [{ code: 'DOCKER_OPTION_INVALID', value: 'files=10', option: '--ulimit', allowed: /nofile/ }]],
  ['--ulimit nofile', [{ code: 'DOCKER_OPTION_INVALID', value: 'nofile', option: '--ulimit' }]],
  ['-l berth.bundle=x', [{ code: 'DOCKER_OPTION_INVALID', value: 'berth.bundle=x', option: 'berth sets it', allowed: /other than .*berth\.bundle.*berth\.address/ }]],
  ['--label =x', [{ code: 'DOCKER_OPTION_INVALID', value: '=x', option: '--label' }]],
  ['--dns 999.1.1.1', [{ code: 'DOCKER_OPTION_INVALID', value: '999.1.1.1', option: '--dns', allowed: /IPv4 or IPv6/ }]],
  ['--dns dns.example', [{ code: 'DOCKER_OPTION_INVALID', value: 'dns.example', option: '--dns' }]],
  ["--health-cmd '  '", [{ code: 'DOCKER_OPTION_INVALID', value: '  ', option: '--health-cmd' }]],
  ['--health-interval 10', [{ code: 'DOCKER_OPTION_INVALID', value: '10', option: '--health-interval', allowed: /duration/ }]],
  ['--health-timeout 1us', [{ code: 'DOCKER_OPTION_INVALID', value: '1us', option: '--health-timeout', allowed: /1ms/ }]],
  ['--health-start-period -5s', [{ code: 'DOCKER_OPTION_INVALID', value: '-5s', option: '--health-start-period' }]],
  ['--health-retries -1', [{ code: 'DOCKER_OPTION_INVALID', value: '-1', option: '--health-retries', allowed: /non-negative integer/ }]],
  ['--health-retries 2.5', [{ code: 'DOCKER_OPTION_INVALID', value: '2.5', option: '--health-retries' }]],
  ['--no-healthcheck --health-cmd true --health-retries 2', [{ code: 'DOCKER_OPTION_INVALID', value: '--no-healthcheck', option: '--health-cmd, --health-retries' }]],
  ['--no-healthcheck=maybe', [{ code: 'DOCKER_OPTION_INVALID', value: 'maybe', option: '--no-healthcheck' }]],
  ['--shm-size 0', [{ code: 'DOCKER_OPTION_INVALID', value: '0', option: '--shm-size', allowed: /above 0/ }]],
  ['--sysctl vm.swappiness=10', [{ code: 'DOCKER_OPTION_INVALID', value: 'vm.swappiness=10', option: 'not namespaced', allowed: /net\./ }]],
  ['--sysctl net.ipv4.ip_forward', [{ code: 'DOCKER_OPTION_INVALID', value: 'net.ipv4.ip_forward', option: '--sysctl' }]],
  ['--device dev/sda', [{ code: 'DOCKER_OPTION_INVALID', value: 'dev/sda', option: '--device', allowed: /absolute/ }]],
  ['--device /dev/sda:/dev/xvda:rwx', [{ code: 'DOCKER_OPTION_INVALID', value: '/dev/sda:/dev/xvda:rwx', option: '--device' }]],
  ['--device /dev/sda:/dev/xvda:r:w', [{ code: 'DOCKER_OPTION_INVALID', value: '/dev/sda:/dev/xvda:r:w', option: '--device' }]],
  ['--security-opt foo=bar', [{ code: 'DOCKER_OPTION_INVALID', value: 'foo=bar', option: '--security-opt', allowed: /no-new-privileges/ }]],
  ['--security-opt label=bogus', [{ code: 'DOCKER_OPTION_INVALID', value: 'label=bogus', option: '--security-opt' }]],
  ['--security-opt seccomp=/etc/berth/none.json', [{ code: 'DOCKER_OPTION_INVALID', value: 'seccomp=/etc/berth/none.json', option: 'ENOENT' }]],
  ['--security-opt seccomp=/etc/berth/app.env', [{ code: 'DOCKER_OPTION_INVALID', value: 'seccomp=/etc/berth/app.env', option: 'cannot be used' }]],
  ['--security-opt seccomp=profile.json', [{ code: 'DOCKER_OPTION_INVALID', value: 'seccomp=profile.json', option: 'absolute path' }]],
  // all problems are collected, in the order of the options
  ['--memory lots --publish 1 -e =x --rm --cpus 0', [
    { code: 'DOCKER_OPTION_INVALID', value: 'lots' },
    { code: 'DOCKER_OPTION_UNSUPPORTED', value: '--publish' },
    { code: 'DOCKER_OPTION_INVALID', value: '=x' },
    { code: 'DOCKER_OPTION_UNSUPPORTED', value: '--rm' },
    { code: 'DOCKER_OPTION_INVALID', value: '0' },
  ]],
];

t.test('bad options give problems with code, value, what is allowed, and the option named', async (t) => {
  for (const [options, expected] of invalid) {
    const { problems } = parse(options);
    t.strictSame(problems.map((p) => [p.code, p.value, p.path, p.severity]), expected.map((e) => [e.code, e.value, 'options', 'error']), options);
    // every problem says what is allowed; where the row names it, what and in which words
    t.match(problems, expected.map((e) => ({ allowed: e.allowed ?? /./, message: e.option ?? /./ })), `${options}: allowed and message`);
  }
  const unsupported = invalid.flatMap(([options]) => parse(options).problems).filter((p) => p.code === 'DOCKER_OPTION_UNSUPPORTED');
  t.ok(unsupported.length >= 5, `${unsupported.length} unsupported options in the table`);
  const unclear = unsupported.filter((p) => !p.message.includes(`'${p.value}' is not a supported docker option`) || SUPPORTED_DOCKER_OPTIONS.some((name) => !p.allowed?.includes(name)));
  t.strictSame(unclear, [], 'an unsupported option is named, with every supported option as allowed');
});

t.test('the unsupported-option problem lists every supported option once', async (t) => {
  const [p] = parse('--mount type=bind').problems;
  t.equal(p.allowed, '--cap-add, --cap-drop, --cpus, --device, --dns, -e/--env, --env-file, --health-cmd, --health-interval, --health-retries, --health-start-period, --health-timeout, -h/--hostname, --init, --ipc, -l/--label, --log-driver, --log-opt, -m/--memory, --network, --no-healthcheck, --pid, --privileged, --read-only, --security-opt, --shm-size, --sysctl, --tmpfs, --ulimit, -u/--user, --userns, --uts, -w/--workdir');
  t.match(p.message, 'use storage-map');
});

t.test('files are read only through the injected reader', async (t) => {
  const noReader = parseDockerOptions('--env-file /etc/berth/app.env');
  t.strictSame(noReader.problems.map((p) => [p.code, p.value]), [['DOCKER_OPTION_INVALID', '/etc/berth/app.env']]);
  t.match(noReader.problems[0].message, 'no file reader');
  const read: string[] = [];
  parseDockerOptions('--env-file /a.env --security-opt seccomp=/b.json', { readFile: (p) => { read.push(p); return p.endsWith('.json') ? '{}' : 'A=1'; } });
  t.strictSame(read, ['/a.env', '/b.json']);
  // without lookupEnv, a bare name passes nothing on (as docker does for an unset variable)
  t.strictSame(parseDockerOptions('-e HOME').create, {});
  t.equal(parseDockerOptions('-m 64m', { path: 'bundle[web]/docker/@options' }).problems.length, 0);
  t.equal(parseDockerOptions('-m x', { path: 'bundle[web]/docker/@options' }).problems[0].path, 'bundle[web]/docker/@options');
});

t.test('shell words', async (t) => {
  const cases: [string, string[] | RegExp][] = [
    ['', []],
    ['a  b\tc\nd', ['a', 'b', 'c', 'd']],
    [`'a b' "c d" e\\ f`, ['a b', 'c d', 'e f']],
    [`"a\\"b" "a\\\\b" "a\\$b" "a\\xb" 'a\\b'`, ['a"b', 'a\\b', 'a$b', 'a\\xb', 'a\\b']],
    [`x'y'"z" '' ""`, ['xyz', '', '']],
    ['a\\\nb "c\\\nd"', ['ab', 'cd']],
    ['$HOME "$HOME"', ['$HOME', '$HOME']],
    ["'open", /single quote at character 1/],
    ['ok "open', /double quote at character 4/],
    ['tail\\', /backslash/],
  ];
  for (const [input, expected] of cases) {
    const r = splitShellWords(input);
    if (Array.isArray(expected)) t.strictSame(r, { ok: true, words: expected }, input);
    else t.match(r, { ok: false, message: expected }, input);
  }
});

t.test('sizes and durations', async (t) => {
  const sizes: [string, number | undefined][] = [
    ['0', 0], ['100', 100], ['100b', 100], ['1k', 1024], ['1K', 1024], ['1kb', 1024], ['1KiB', 1024], ['2m', 2 * MiB],
    ['1g', GiB], ['1.5g', 1.5 * GiB], ['1 g', GiB], ['1t', 1024 * GiB], ['', undefined], ['m', undefined], ['-1m', undefined],
    ['1x', undefined], ['1mm', undefined], ['1.g', undefined], ['99999999999999999999t', undefined],
  ];
  for (const [s, n] of sizes) t.equal(parseSize(s), n, `size ${s}`);
  const durations: [string, number | undefined][] = [
    ['0', 0], ['30s', 30e9], ['1m30s', 90e9], ['500ms', 500e6], ['1.5s', 1.5e9], ['.5s', 0.5e9], ['1h', 3600e9], ['2us', 2000],
    ['2µs', 2000], ['10ns', 10], ['1h2m3s4ms', 3723004e6], ['', undefined], ['10', undefined], ['s', undefined],
    ['-1s', undefined], ['1d', undefined], ['1s 2s', undefined],
  ];
  for (const [s, n] of durations) t.equal(parseDuration(s), n, `duration ${s}`);
});

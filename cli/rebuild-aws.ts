import { parseArgs } from 'node:util';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

const USAGE = `npm run rebuild:aws -- [--state-machine-arn ARN] [--redrive EXECUTION_ARN]

Starts the rebuild state machine (the stack's RebuildStateMachineArn output, or REBUILD_STATE_MACHINE_ARN)
and shows each of its maps' progress until it ends. --redrive resumes a failed rebuild from where it
failed. Uses your own AWS credentials and region (docs/operations.md).`;

/** The labels the state machine gives its maps, in the order they run. */
const MAPS = ['Apply every draft', 'Render every view', 'Sweep the site'];

const { values } = parseArgs({
  options: {
    'state-machine-arn': { type: 'string' },
    redrive: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const sfn = new SFNClient({});
let executionArn = values.redrive;
if (executionArn) {
  await sfn.send(new RedriveExecutionCommand({ executionArn }));
  console.log(`Redriving ${executionArn}`);
} else {
  const stateMachineArn = values['state-machine-arn'] ?? process.env.REBUILD_STATE_MACHINE_ARN;
  if (!stateMachineArn) {
    console.error(`No state machine named.\n\n${USAGE}`);
    process.exit(2);
  }
  const name = `rebuild-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  ({ executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' })));
  console.log(`Started ${executionArn}`);
}

const bars = new MultiBar(
  { format: '{label} [{bar}] {value}/{total} {failed}', hideCursor: true, clearOnComplete: false },
  Presets.shades_classic,
);
const shown = new Map<string, SingleBar>();
for (;;) {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const runs = await sfn.send(new ListMapRunsCommand({ executionArn }));
  for (const run of runs.mapRuns ?? []) {
    const { itemCounts } = await sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }));
    // A map run's ARN names its map: …:mapRun:<state machine>/<map label>:<id>.
    const label = MAPS.find((m) => decodeURIComponent(run.mapRunArn ?? '').includes(`/${m}:`)) ?? 'Map';
    const total = itemCounts?.total ?? 0;
    const done = (itemCounts?.succeeded ?? 0) + (itemCounts?.failed ?? 0);
    const failed = itemCounts?.failed ? `(${itemCounts.failed} failed)` : '';
    const bar = shown.get(run.mapRunArn ?? '') ?? bars.create(total, 0, { label: label.padEnd(18), failed });
    shown.set(run.mapRunArn ?? '', bar);
    bar.setTotal(total);
    bar.update(done, { failed });
  }
  if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
    bars.stop();
    if (execution.status === 'SUCCEEDED') {
      console.log('The site is rebuilt.');
      process.exit(0);
    }
    console.error(
      `The rebuild ${execution.status?.toLowerCase()}: ${execution.error ?? ''} ${execution.cause ?? ''}`,
    );
    console.error(`Resume it from where it stopped: npm run rebuild:aws -- --redrive ${executionArn}`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 5000));
}

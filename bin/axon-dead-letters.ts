// Lists the records the local event source mapping gave up on (the local on-failure destination).
// Usage: npm run dead-letters [-- <topology>] [--json]
// Needs the engines of a running `npm start`: AXON_DYNAMODB_ENDPOINT and AXON_TABLE.
import { listDeadLetters, type DeadLetter } from '../lib/local/dead-letters.ts';

const usage = `usage: npm run dead-letters -- [<topology>] [--json]

Lists the batches the local event source mapping sent to its dead-letter store after their
retries ran out. Reads the table of a running local Axon; set
  AXON_DYNAMODB_ENDPOINT  the DynamoDB Local endpoint (printed by npm start), e.g. http://127.0.0.1:8000
  AXON_TABLE              the table name (npm start uses the module name, axon, by default)
`;

function preview(data: string | undefined): string {
  if (data === undefined) return '(data omitted)';
  const text = Buffer.from(data, 'base64').toString('utf8');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function print(letter: DeadLetter): void {
  console.log(
    `${letter.deadLetteredAt} ${letter.topology} ${letter.shardId} ${letter.startSequenceNumber}..${letter.endSequenceNumber}` +
      ` (${letter.batchSize} records, ${letter.attempts} attempts): ${letter.error}`,
  );
  for (const r of letter.records) console.log(`  ${r.sequenceNumber} [${r.partitionKey}] ${preview(r.data)}`);
  if (letter.recordsOmitted) console.log(`  … and ${letter.recordsOmitted} more records of the range (not listed, to fit one item)`);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  if (!process.env.AXON_DYNAMODB_ENDPOINT || !process.env.AXON_TABLE) {
    process.stderr.write(usage);
    return 2;
  }
  const topology = argv.find((a) => !a.startsWith('--'));
  const letters = await listDeadLetters(topology);
  if (argv.includes('--json')) {
    console.log(JSON.stringify(letters, null, 2));
  } else if (!letters.length) {
    console.log(`no dead letters${topology ? ` for topology ${topology}` : ''} in table ${process.env.AXON_TABLE}`);
  } else {
    letters.forEach(print);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);

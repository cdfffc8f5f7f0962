// How the local event source mapping reads a function's result, per Lambda's documented rules for
// ReportBatchItemFailures on Kinesis (pure logic, no engines).
import { describe, expect, it } from 'vitest';
import { outcomeOfError, outcomeOfResponse } from '../../lib/local/event-source-mapping/batch-outcome.ts';

const batch = ['101', '102', '103', '104'];

describe('batch outcome', () => {
  it('treats no response, null and an empty or null failure list as complete success', () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }, 'ok', 42]) {
      expect(outcomeOfResponse(response, batch)).toEqual({ kind: 'success' });
    }
  });

  it('retries from the lowest reported record', () => {
    const outcome = outcomeOfResponse({ batchItemFailures: [{ itemIdentifier: '104' }, { itemIdentifier: '102' }] }, batch);
    expect(outcome).toMatchObject({ kind: 'partial', firstFailed: 1 });
  });

  it('fails the whole batch for an empty, null, misspelt or foreign itemIdentifier', () => {
    for (const failure of [{ itemIdentifier: '' }, { itemIdentifier: null }, { itemIdentifer: '102' }, { itemIdentifier: '999' }, null]) {
      expect(outcomeOfResponse({ batchItemFailures: [{ itemIdentifier: '103' }, failure] }, batch).kind).toBe('failed');
    }
    expect(outcomeOfResponse({ batchItemFailures: 'all' }, batch).kind).toBe('failed');
  });

  it('keeps the error of a thrown function', () => {
    expect(outcomeOfError(new TypeError('boom'))).toEqual({ kind: 'failed', error: 'TypeError: boom' });
    expect(outcomeOfError('plain')).toEqual({ kind: 'failed', error: 'plain' });
  });
});

// The blob bucket for media: private, encrypted, TLS-only, unversioned; only functions declaring
// `access.blobs` may get and put its objects, only those declaring `access.deletesBlobs` delete them,
// and both are told its name. (cdk-nag over the whole stack,
// bucket included, is test/stacks/nag.test.ts.)
import { describe, expect, it } from 'vitest';
import type { FunctionDecl } from '../../lib/core/module.ts';
import { axon } from '../../lib/matrix/module.ts';
import { LAMBDA_MAX_UPLOAD_BYTES } from '../../lib/stacks/blobs.ts';
import { chat } from '../fixtures/stacks/module.ts';
import { resourcesOfType, synthesize } from './synth.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const list = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

describe('the media blob bucket', () => {
  const synth = synthesize(axon);
  const bucket = synth.stack.blobs!;
  const bucketId = synth.logicalId(bucket.bucket);

  function statementsOf(fn: string): Statement[] {
    const roleId = synth.logicalId(synth.stack.functions.fn(fn).role!);
    return Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  }

  it('is private, encrypted and unversioned', () => {
    const props = resourcesOfType(synth.template, 'AWS::S3::Bucket')[bucketId]?.Properties;
    expect(props?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props?.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(props?.VersioningConfiguration).toBeUndefined();
  });

  it('refuses requests without TLS', () => {
    const policies = Object.values(resourcesOfType(synth.template, 'AWS::S3::BucketPolicy')).filter(
      (p) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    const statements = policies.flatMap((p) => (p.Properties?.PolicyDocument as { Statement: (Statement & { Condition?: unknown })[] }).Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('lets exactly the blob functions get, put and list, the deleting one delete and list, and tells them its name', () => {
    const blobFunctions = (Object.entries(axon.functions) as [string, FunctionDecl][]).filter(([, d]) => d.access?.blobs).map(([n]) => n);
    const deleting = (Object.entries(axon.functions) as [string, FunctionDecl][]).filter(([, d]) => d.access?.deletesBlobs).map(([n]) => n);
    expect(blobFunctions).toEqual(['media']);
    // Admins' media deletions are applied by the users topology (lib/matrix/media/moderation.ts).
    expect(deleting).toEqual(['usersTopology']);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };
    for (const name of Object.keys(axon.functions)) {
      const s3 = statementsOf(name).filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
      const fnProps = resourcesOfType(synth.template, 'AWS::Lambda::Function')[synth.logicalId(synth.stack.functions.fn(name))]?.Properties;
      const env = (fnProps?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      if (blobFunctions.includes(name)) {
        expect(s3).toEqual([
          expect.objectContaining({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: objects }),
          expect.objectContaining({ Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } }),
        ]);
        expect(env.AXON_MEDIA_BUCKET).toEqual({ Ref: bucketId });
        expect(env.AXON_MEDIA_MAX_BYTES).toBe(String(LAMBDA_MAX_UPLOAD_BYTES));
      } else if (deleting.includes(name)) {
        expect(s3).toEqual([
          expect.objectContaining({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: objects }),
          expect.objectContaining({ Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } }),
        ]);
        expect(env.AXON_MEDIA_BUCKET).toEqual({ Ref: bucketId });
      } else {
        expect(s3, `${name} touches S3`).toEqual([]);
        expect(env.AXON_MEDIA_BUCKET, name).toBeUndefined();
      }
    }
  });

  it('keeps the upload limit within what a Lambda invocation can carry once base64-encoded', () => {
    expect(Math.ceil(LAMBDA_MAX_UPLOAD_BYTES / 3) * 4).toBeLessThan(6 * 1024 * 1024 - 64 * 1024);
  });

  it('is not created for a module without blob functions', () => {
    const fixture = synthesize(chat);
    expect(fixture.stack.blobs).toBeUndefined();
    expect(Object.keys(resourcesOfType(fixture.template, 'AWS::S3::Bucket'))).toEqual([]);
  });
});

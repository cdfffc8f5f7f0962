// The blob store of a module on AWS (lib/core/blobs.ts): one private S3 bucket, created only when
// some function declares `access.blobs`, and read/write grants for exactly those functions.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * The largest upload a blob function accepts on AWS: the body reaches Lambda base64-encoded inside
 * a JSON event, and a synchronous invocation's payload is at most 6 MB (API Gateway's own 10 MB
 * cap is never the binding one). 4 MiB encodes to 5.6 MB, leaving room for headers.
 */
export const LAMBDA_MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

export interface BlobBucketProps {
  retain: boolean;
}

export class BlobBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: BlobBucketProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Blobs are written once under fresh keys and never overwritten: versions would only cost.
      versioned: false,
      // Parts of failed multipart writes are never read again.
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy,
    });
  }
}

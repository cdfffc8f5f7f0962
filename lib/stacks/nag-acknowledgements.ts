// cdk-nag (AwsSolutions) findings this stack accepts, each with the reason it is acceptable.
// Everything not acknowledged here must pass; test/stacks/nag.test.ts holds the stack to that.
// (cdk-nag v3 reads acknowledgements from CDK's Validations metadata, on a construct or any of its
// ancestors; granular findings are acknowledged by their exact `Rule[finding]` id.)
import { Stack, Token, Validations, type CfnResource } from 'aws-cdk-lib';
import type { BlobBucket } from './blobs.ts';
import type { ModuleFunctions } from './functions.ts';
import type { ModuleHttpApi } from './http-api.ts';
import type { ModuleServices } from './services.ts';
import type { Topologies } from './topologies.ts';
import { WEBSOCKET_STAGE, type ModuleWebSocketApi } from './websocket-api.ts';

const matrixAuthenticates =
  'Matrix clients authenticate with Matrix access tokens (Authorization header, or ?access_token= on $connect), ' +
  'which the handlers verify against the access-token PState; unauthenticated endpoints (versions, login, ' +
  'register, well-known) must stay open per the Matrix spec, so an API Gateway authorizer cannot front every route.';

/**
 * An ARN prefix as cdk-nag prints it in a finding id: `arn:<AWS::Partition>:<service>:<AWS::Region>:<AWS::AccountId>:`
 * when the stack is environment-agnostic, with the concrete partition, region and account where the
 * stack has them (the CDK CLI always resolves a region; an explicit env sets the account). A finding
 * id written with the placeholders alone matches nothing once a region is set, and synth fails.
 */
function nagArnPrefix(stack: Stack, service: string): string {
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  return `arn:${part(stack.partition, 'AWS::Partition')}:${service}:${part(stack.region, 'AWS::Region')}:${part(stack.account, 'AWS::AccountId')}:`;
}

/** The parts of the Axon stack that carry acknowledgements (AxonStack is one). */
export interface AcknowledgingStack extends Stack {
  readonly functions: ModuleFunctions;
  readonly topologies: Topologies;
  readonly httpApi: ModuleHttpApi;
  readonly webSocketApi?: ModuleWebSocketApi;
  readonly blobs?: BlobBucket;
  readonly services?: ModuleServices;
}

export function acknowledgeNagFindings(stack: AcknowledgingStack): void {
  Validations.of(stack.httpApi).acknowledge({ id: 'AwsSolutions-APIG4', reason: matrixAuthenticates });

  Validations.of(stack.functions).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Axon pins nodejs22.x: the handlers are built and tested for Node 22 (esbuild target node22, SDK v3 from the ' +
      'runtime), and a newer runtime is adopted deliberately after the suite passes on it, not by a synth-time default.',
  });

  Validations.of(stack.topologies).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'These queues are the dead-letter destinations (event source mapping on-failure) of the topologies; ' +
      'a dead-letter queue of a dead-letter queue would only hide poison records that the DLQ-depth alarm reports.',
  });

  const blobs = stack.blobs;
  if (blobs) {
    Validations.of(blobs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Blobs are reached only through the media functions (no public access, no presigned URLs): every read and ' +
        'write is already in the HTTP API access log and the function logs with the requesting user; S3 server ' +
        'access logs would duplicate them into a second bucket that itself needs a logging exemption.',
    });
    const bucketLogicalId = Stack.of(blobs).getLogicalId(blobs.bucket.node.defaultChild as CfnResource);
    Validations.of(stack.functions).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/*]`,
      reason:
        'Media functions read and write blobs whose keys are random ids made at run time; the grant is limited to ' +
        'GetObject and PutObject on the objects of the one blob bucket (no other bucket); only the function that ' +
        'applies admins\' media deletions may DeleteObject, and it may not read or write.',
    });
  }

  const ws = stack.webSocketApi;
  if (ws) {
    Validations.of(ws).acknowledge({ id: 'AwsSolutions-APIG4', reason: matrixAuthenticates });
    Validations.of(ws).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(stack, 'logs')}log-group:*]`,
      reason:
        "This is API Gateway's account-wide CloudWatch Logs role (needed for WebSocket access logs); API Gateway " +
        'uses it for the log groups of every API stage in the account and region, which are not known here.',
    });
    const apiLogicalId = Stack.of(ws).getLogicalId(ws.api.node.defaultChild as CfnResource);
    Validations.of(stack.functions).acknowledge({
      id:
        `AwsSolutions-IAM5[Resource::${nagArnPrefix(stack, 'execute-api')}<${apiLogicalId}>` +
        `/${WEBSOCKET_STAGE}/*/@connections/*]`,
      reason:
        'Pushing functions post to WebSocket connections whose ids exist only at run time; the grant is limited ' +
        'to ManageConnections on the @connections of this API and stage.',
    });
  }

  const services = stack.services;
  if (services) {
    Validations.of(services).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket holds the internal load balancer's access logs, written by the ELB service and read only by " +
        'operators; server access logs of a log bucket would need yet another bucket, logging the logging.',
    });
    Validations.of(services).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The service container gets only non-secret configuration as environment variables (the table and stream ' +
        'names, the server name, the WebSocket URL, its port and metric namespace), the same the functions get; it ' +
        'holds no secret: its AWS access comes from the task role.',
    });
    for (const running of services.services.values()) {
      Validations.of(running.service.taskDefinition.obtainExecutionRole()).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "The task execution role needs ecr:GetAuthorizationToken to pull the service's image, an action that " +
          'supports no resource but * (the pull itself is limited to the image repository by the same policy).',
      });
    }
  }
}

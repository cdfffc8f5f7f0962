// One Lambda for the small account services: third-party identifiers, OpenID tokens, whois and
// TURN servers. Each area's operations live in their own file; they share a function because each
// function costs the stack ~7 CloudFormation resources, and a stack holds at most 500.
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { adminOperations } from './admin.ts';
import { openIdOperations } from './openid.ts';
import { threepidOperations } from './threepids.ts';
import { voipOperations } from './voip.ts';

export const handler = matrixFunction('accountServices', { ...threepidOperations, ...openIdOperations, ...adminOperations, ...voipOperations });

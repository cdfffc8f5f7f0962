// One Lambda for the small account services: third-party identifiers, OpenID tokens, whois and
// TURN servers. Each area's operations live in their own file; they share a function because each
// function costs the stack ~7 CloudFormation resources, and a stack holds at most 500.
import { axon } from '../../lib/matrix/module.ts';
import { httpFunction } from '../../lib/http/http-function.ts';
import { adminOperations } from './admin.ts';
import { openIdOperations } from './openid.ts';
import { threepidOperations } from './threepids.ts';
import { voipOperations } from './voip.ts';

export const handler = httpFunction(axon, 'accountServices', { ...threepidOperations, ...openIdOperations, ...adminOperations, ...voipOperations });

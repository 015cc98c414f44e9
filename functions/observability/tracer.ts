/** X-Ray tracing of the handler and the AWS clients; a no-op outside Lambda (local runner, tests). */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './names.js';

export const tracer = new Tracer({ serviceName: SERVICE_NAME });

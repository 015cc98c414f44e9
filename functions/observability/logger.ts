/** The structured logger (one per execution environment); level from POWERTOOLS_LOG_LEVEL, set by the stack. */
import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './names.js';

export const logger = new Logger({ serviceName: SERVICE_NAME });

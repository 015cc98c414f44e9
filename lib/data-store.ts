/**
 * The stateful part: the service table (single-table design) and the Powertools idempotency table.
 * Their keys, index and TTL attributes come from functions/contracts/table-definition.ts, the same data the
 * local runner builds DynamoDB Local's tables from.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { IDEMPOTENCY_TABLE, SERVICE_TABLE } from '#contracts/table-definition.js';

export interface DataStoreProps {
  /** What a stack deletion does to the service table. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection on the service table. @default true */
  readonly deletionProtection?: boolean;
}

export class DataStore extends Construct {
  /** Every user's conversations, message copies, groups, deletion records, connections and the app settings. */
  public readonly table: Table;
  /** Powertools idempotency records of `DELETE`/`POST .../delete` with an Idempotency-Key (24 h TTL). */
  public readonly idempotencyTable: Table;

  public constructor(scope: Construct, id: string, props: DataStoreProps = {}) {
    super(scope, id);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: SERVICE_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: SERVICE_TABLE.sortKey, type: AttributeType.STRING },
      // On-demand: traffic is spiky (a purge writes in bursts) and nothing needs capacity planning up front.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: SERVICE_TABLE.ttlAttribute,
      // AWS-owned keys would also encrypt; the AWS-managed key adds CloudTrail visibility of key use at no key cost.
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of SERVICE_TABLE.localIndexes) {
      this.table.addLocalSecondaryIndex({
        indexName: index.name,
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: index.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
      });
    }
    for (const index of SERVICE_TABLE.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: [...index.nonKeyAttributes],
      });
    }

    this.idempotencyTable = new Table(this, 'IdempotencyTable', {
      partitionKey: { name: IDEMPOTENCY_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: IDEMPOTENCY_TABLE.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      // Records live 24 hours and only de-duplicate retries: nothing is lost with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** The ARN of one of the table's indexes (a Query on it is authorized on this ARN). */
  public indexArn(indexName: (typeof SERVICE_TABLE.localIndexes | typeof SERVICE_TABLE.globalIndexes)[number]['name']): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }
}

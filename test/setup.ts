// Registers the aws-sdk-client-mock matchers (toReceiveCommandWith, …) with their types.
import 'aws-sdk-client-mock-vitest/extend';

// Tests are written in TypeScript under test/ and compiled by `npm run build` into dist/test;
// jest runs the compiled ES modules as they are (no transform), so worker threads and
// import.meta.url behave exactly as in production.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 120000,
  maxWorkers: 2,
};

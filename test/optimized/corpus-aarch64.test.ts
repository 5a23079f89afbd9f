import { describeCorpusEquivalence } from './corpus-equivalence.js';

describeCorpusEquivalence('aarch64');

# Executes Jupyter notebooks headlessly with nbclient (Debian python3-nbclient) and the project's tslab
# kernel; exits non-zero on the first cell error. Usage: exec.py OUT_DIR NB.ipynb [NB.ipynb ...]
import sys, os, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
failed = 0
for path in sys.argv[2:]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=int(os.environ.get('DBRIDGE_CELL_TIMEOUT', '1800')), kernel_name='dbridge-tslab',
                            resources={'metadata': {'path': os.path.dirname(os.path.abspath(path))}})
    t0 = time.time()
    try:
        client.execute()
        status = 'ok'
    except CellExecutionError as e:
        status = 'FAILED'
        failed += 1
        print(str(e)[-3000:], file=sys.stderr)
    finally:
        nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))
    print(f'notebook {os.path.basename(path)}: {status} in {time.time() - t0:.1f} s', flush=True)
sys.exit(1 if failed else 0)

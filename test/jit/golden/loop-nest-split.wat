(module
  (type (;0;) (func (param i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (type (;2;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;3;) (func (result i32)))
  (type (;4;) (func (param i32 i32) (result i32)))
  (import "env" "mem" (memory (;0;) 1 65536 shared))
  (import "env" "rd" (func (;0;) (type 1)))
  (import "env" "wr" (func (;1;) (type 2)))
  (import "env" "cc" (func (;2;) (type 0)))
  (import "env" "cf" (func (;3;) (type 3)))
  (import "env" "in" (func (;4;) (type 0)))
  (import "env" "sc" (func (;5;) (type 0)))
  (func (;6;) (type 4) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 65536
    i32.load
    local.set 10
    i32.const 65544
    i32.load
    local.set 11
    i32.const 65552
    i32.load
    local.set 12
    i32.const 65560
    i32.load
    local.set 13
    i32.const 65568
    i32.load
    local.set 14
    i32.const 65576
    i32.load
    local.set 15
    i32.const 65584
    i32.load
    local.set 16
    i32.const 65592
    i32.load
    local.set 17
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            i32.const 3
            local.set 5
            local.get 5
            local.set 11
            local.get 2
            i32.const 3
            i32.add
            local.set 2
            i32.const 65664
            i32.const 4179
            i32.store
            br 2 (;@2;)
          end
        end
      end
      i32.const 65544
      local.get 11
      i32.store
    end
    local.get 2)
  (export "f" (func 6)))

(module
  (type (;0;) (func (param i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (type (;2;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;3;) (func (result i32)))
  (type (;4;) (func (param i32 i32) (result i32)))
  (type (;5;) (func (param i32 i32 i32 i32 i32 i32)))
  (type (;6;) (func (param i32 i32 i32) (result i32 i32)))
  (import "env" "mem" (memory (;0;) 1 65536 shared))
  (import "env" "rd" (func (;0;) (type 1)))
  (import "env" "wr" (func (;1;) (type 2)))
  (import "env" "cc" (func (;2;) (type 0)))
  (import "env" "cf" (func (;3;) (type 3)))
  (import "env" "in" (func (;4;) (type 0)))
  (import "env" "sc" (func (;5;) (type 0)))
  (func (;6;) (type 4) (param i32 i32) (result i32)
    (local i32)
    block  ;; label = @1
      loop  ;; label = @2
        block  ;; label = @3
          block  ;; label = @4
            block  ;; label = @5
              block  ;; label = @6
                local.get 1
                br_table 0 (;@6;) 1 (;@5;) 2 (;@4;) 1 (;@5;) 0 (;@6;)
              end
              local.get 0
              local.get 1
              local.get 2
              call 8
              local.set 1
              local.set 2
              br 2 (;@3;)
            end
            local.get 0
            local.get 1
            local.get 2
            call 9
            local.set 1
            local.set 2
            br 1 (;@3;)
          end
          local.get 0
          local.get 1
          local.get 2
          call 10
          local.set 1
          local.set 2
          br 0 (;@3;)
        end
        local.get 1
        i32.eqz
        br_if 1 (;@1;)
        local.get 1
        i32.const 1
        i32.sub
        local.set 1
        br 0 (;@2;)
      end
    end
    local.get 2)
  (func (;7;) (type 5) (param i32 i32 i32 i32 i32 i32)
    i32.const 65680
    local.get 0
    i32.store
    i32.const 65684
    local.get 1
    i32.store
    i32.const 65688
    local.get 2
    i32.store
    i32.const 65692
    local.get 3
    i32.store
    i32.const 65696
    local.get 4
    i32.store
    i32.const 65700
    local.get 5
    i32.store)
  (func (;8;) (type 6) (param i32 i32 i32) (result i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 65536
    i32.load
    local.set 10
    i32.const 65544
    i32.load
    local.set 11
    i32.const 65552
    i32.load
    local.set 12
    i32.const 65560
    i32.load
    local.set 13
    i32.const 65568
    i32.load
    local.set 14
    i32.const 65576
    i32.load
    local.set 15
    i32.const 65584
    i32.load
    local.set 16
    i32.const 65592
    i32.load
    local.set 17
    i32.const 65680
    i32.load
    local.set 20
    i32.const 65684
    i32.load
    local.set 21
    i32.const 65688
    i32.load
    local.set 22
    i32.const 65692
    i32.load
    local.set 23
    i32.const 65696
    i32.load
    local.set 24
    i32.const 65700
    i32.load
    local.set 25
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            i32.const 6
            local.set 5
            local.get 5
            local.set 12
            local.get 2
            i32.const 1
            i32.add
            local.tee 2
            i32.const 32
            i32.add
            local.get 0
            i32.le_u
            if  ;; label = @5
              i32.const 4
              local.set 26
              br 2 (;@3;)
            end
            i32.const 65664
            i32.const 4184
            i32.store
            br 1 (;@3;)
          end
        end
        local.get 20
        local.get 21
        local.get 22
        local.get 23
        local.get 24
        local.get 25
        call 7
      end
      i32.const 65536
      local.get 10
      i32.store
      i32.const 65544
      local.get 11
      i32.store
      i32.const 65552
      local.get 12
      i32.store
      i32.const 65560
      local.get 13
      i32.store
      i32.const 65584
      local.get 16
      i32.store
    end
    local.get 2
    local.get 26)
  (func (;9;) (type 6) (param i32 i32 i32) (result i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 65536
    i32.load
    local.set 10
    i32.const 65544
    i32.load
    local.set 11
    i32.const 65552
    i32.load
    local.set 12
    i32.const 65560
    i32.load
    local.set 13
    i32.const 65568
    i32.load
    local.set 14
    i32.const 65576
    i32.load
    local.set 15
    i32.const 65584
    i32.load
    local.set 16
    i32.const 65592
    i32.load
    local.set 17
    i32.const 65680
    i32.load
    local.set 20
    i32.const 65684
    i32.load
    local.set 21
    i32.const 65688
    i32.load
    local.set 22
    i32.const 65692
    i32.load
    local.set 23
    i32.const 65696
    i32.load
    local.set 24
    i32.const 65700
    i32.load
    local.set 25
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            block  ;; label = @5
              block  ;; label = @6
                local.get 1
                br_table 0 (;@6;) 0 (;@6;) 0 (;@6;) 1 (;@5;) 0 (;@6;)
              end
              local.get 20
              local.get 21
              local.get 22
              local.get 23
              local.get 24
              local.get 25
              call 7
              call 3
              local.set 18
              i32.const 6
              local.set 20
              i32.const 32
              local.set 21
              local.get 13
              local.tee 22
              i32.const 1
              local.tee 23
              i32.add
              local.set 24
              local.get 18
              local.set 25
              local.get 24
              local.set 13
              local.get 25
              i32.const 1
              i32.and
              local.set 18
              i32.const 7
              local.set 20
              local.get 12
              local.tee 22
              i32.const 1
              local.tee 23
              i32.sub
              local.set 24
              local.get 18
              local.set 25
              local.get 24
              local.set 12
              i32.const 1
              local.set 5
              local.get 12
              local.set 4
              i32.const 5
              local.set 20
              local.get 4
              local.tee 22
              local.get 5
              local.tee 23
              i32.and
              local.tee 24
              local.set 6
              local.get 24
              i32.eqz
              i32.eqz
              if  ;; label = @6
                local.get 2
                i32.const 4
                i32.add
                local.tee 2
                i32.const 32
                i32.add
                local.get 0
                i32.le_u
                i32.const 66240
                i32.load
                i32.eqz
                i32.and
                if  ;; label = @7
                  i32.const 1
                  local.set 1
                  br 3 (;@4;)
                end
                i32.const 65664
                i32.const 4185
                i32.store
                br 3 (;@3;)
              end
              i32.const 0
              local.set 5
              local.get 12
              local.set 4
              i32.const 3
              local.set 20
              local.get 4
              local.tee 22
              local.get 5
              local.tee 23
              i32.sub
              local.tee 24
              local.set 6
              local.get 24
              i32.eqz
              if  ;; label = @6
                local.get 2
                i32.const 6
                i32.add
                local.tee 2
                i32.const 32
                i32.add
                local.get 0
                i32.le_u
                if  ;; label = @7
                  i32.const 3
                  local.set 26
                  br 4 (;@3;)
                end
                i32.const 65664
                i32.const 4104
                i32.store
                br 3 (;@3;)
              end
              local.get 2
              i32.const 7
              i32.add
              local.tee 2
              i32.const 32
              i32.add
              local.get 0
              i32.le_u
              if  ;; label = @6
                br 1 (;@5;)
              end
              i32.const 65664
              i32.const 4184
              i32.store
              br 2 (;@3;)
            end
            local.get 20
            local.get 21
            local.get 22
            local.get 23
            local.get 24
            local.get 25
            call 7
            call 3
            local.set 18
            i32.const 6
            local.set 20
            i32.const 32
            local.set 21
            local.get 10
            local.tee 22
            i32.const 1
            local.tee 23
            i32.add
            local.set 24
            local.get 18
            local.set 25
            local.get 24
            local.set 10
            local.get 2
            i32.const 1
            i32.add
            local.tee 2
            i32.const 32
            i32.add
            local.get 0
            i32.le_u
            i32.const 66240
            i32.load
            i32.eqz
            i32.and
            if  ;; label = @5
              i32.const 1
              local.set 1
              br 1 (;@4;)
            end
            i32.const 65664
            i32.const 4185
            i32.store
            br 1 (;@3;)
          end
        end
        local.get 20
        local.get 21
        local.get 22
        local.get 23
        local.get 24
        local.get 25
        call 7
      end
      i32.const 65536
      local.get 10
      i32.store
      i32.const 65544
      local.get 11
      i32.store
      i32.const 65552
      local.get 12
      i32.store
      i32.const 65560
      local.get 13
      i32.store
      i32.const 65584
      local.get 16
      i32.store
    end
    local.get 2
    local.get 26)
  (func (;10;) (type 6) (param i32 i32 i32) (result i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 65536
    i32.load
    local.set 10
    i32.const 65544
    i32.load
    local.set 11
    i32.const 65552
    i32.load
    local.set 12
    i32.const 65560
    i32.load
    local.set 13
    i32.const 65568
    i32.load
    local.set 14
    i32.const 65576
    i32.load
    local.set 15
    i32.const 65584
    i32.load
    local.set 16
    i32.const 65592
    i32.load
    local.set 17
    i32.const 65680
    i32.load
    local.set 20
    i32.const 65684
    i32.load
    local.set 21
    i32.const 65688
    i32.load
    local.set 22
    i32.const 65692
    i32.load
    local.set 23
    i32.const 65696
    i32.load
    local.set 24
    i32.const 65700
    i32.load
    local.set 25
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            i32.const 1
            local.set 20
            i32.const 32
            local.set 21
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            i32.const 305419896
            local.set 5
            local.get 16
            local.set 4
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.add
            local.tee 24
            local.set 6
            local.get 6
            local.set 16
            local.get 24
            local.get 22
            i32.lt_u
            local.set 18
            i32.const 7
            local.set 20
            local.get 11
            local.tee 22
            i32.const 1
            local.tee 23
            i32.sub
            local.set 24
            local.get 18
            local.set 25
            local.get 24
            local.set 11
            local.get 24
            i32.eqz
            if  ;; label = @5
              local.get 2
              i32.const 14
              i32.add
              local.set 2
              i32.const 65664
              i32.const 4202
              i32.store
              br 2 (;@3;)
            end
            local.get 2
            i32.const 14
            i32.add
            local.tee 2
            i32.const 32
            i32.add
            local.get 0
            i32.le_u
            i32.const 66240
            i32.load
            i32.eqz
            i32.and
            if  ;; label = @5
              i32.const 1
              local.set 26
              br 2 (;@3;)
            end
            i32.const 65664
            i32.const 4179
            i32.store
            br 1 (;@3;)
          end
        end
        local.get 20
        local.get 21
        local.get 22
        local.get 23
        local.get 24
        local.get 25
        call 7
      end
      i32.const 65536
      local.get 10
      i32.store
      i32.const 65544
      local.get 11
      i32.store
      i32.const 65552
      local.get 12
      i32.store
      i32.const 65560
      local.get 13
      i32.store
      i32.const 65584
      local.get 16
      i32.store
    end
    local.get 2
    local.get 26)
  (export "f" (func 6)))
